import type { Command } from 'commander';
import { runSync } from '../../sync/run-sync';
import type { Explanation } from '../../sync/explain';
import { cliLogger, load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { describeOperation } from '../format';
import { fitLine, outputWidth } from '../tty';

/** The explanation as an admin reads it: groups, what each gave, what was decided and why. */
export function explanationText(e: Explanation): string[] {
  if (e.matches === 0) return [`No directory user or managed account matches "${e.query}" (userName, email, DN or externalId).`];
  const lines: string[] = [];
  lines.push(`${e.userName ?? '(no username)'}  ${e.dn ?? ''}`.trim(), `  externalId ${e.externalId ?? '?'}`);
  if (e.matches > 1) lines.push(`  (${e.matches} users match "${e.query}"; the first is shown)`);
  if (e.groups.length === 0) lines.push('', 'Not in any mapped group: out of scope.');
  else {
    lines.push('', 'Mapped groups (lowest priority number decides role and user type):');
    for (const g of e.groups) {
      const gives = [
        `role ${g.role}, type ${g.userType}`,
        ...(g.licenses.length > 0 ? [`licenses ${g.licenses.join(', ')}`] : []),
        ...(g.targetGroups.length > 0 ? [`target groups ${g.targetGroups.join(', ')}`] : []),
      ].join('; ');
      lines.push(`  ${g.decides ? '*' : ' '} [${g.priority}] ${g.dn}`, `        gives ${gives}`);
    }
  }
  if (e.role !== undefined) lines.push('', `Role ${e.role}, user type ${e.userType ?? '?'} (from the group marked *).`);
  if (e.licenses.length > 0) {
    lines.push('', 'Licenses:');
    for (const l of e.licenses) {
      const from = `from ${l.grantedBy.join(', ')}`;
      lines.push(`  ${l.license}: ${l.outcome === 'granted' ? 'granted' : `NOT granted: ${l.reason ?? ''}`} (${from})`);
    }
  }
  if (e.targetGroups.length > 0) {
    lines.push('', 'Target groups:');
    for (const t of e.targetGroups) lines.push(`  ${t.name} (from ${t.grantedBy.join(', ')})`);
  }
  if (e.skipped) lines.push('', `Skipped: ${e.skipped.reason}: ${e.skipped.message}`);
  if (e.current) {
    const c = e.current;
    lines.push(
      '',
      `On the target (last confirmed): ${c.active ? 'active' : `inactive since ${c.deactivatedAt ?? '?'}`}, role ${c.role}, type ${c.userType}, id ${c.targetId}`,
      `  licenses granted by dirsync: ${c.licenses.join(', ') || 'none'}; target groups: ${c.targetGroups.join(', ') || 'none'}`,
    );
    if (e.observedLicenses) lines.push(`  licenses the target shows now: ${e.observedLicenses.join(', ') || 'none'}`);
  } else lines.push('', 'No account on the target yet.');
  lines.push(
    '',
    e.operation ? `Planned: ${e.operation.kind}: ${describeOperation(e.operation)}` : 'Planned: nothing (up to date).',
  );
  return lines;
}

export function registerExplainCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('explain <user>')
    .description('show, for one user (userName, email, DN or externalId), which group gave what and what the plan does')
    .option('--json', 'print the explanation as JSON')
    .action((user: string, options: { json?: boolean }) =>
      run(async () => {
        const global = program.opts<GlobalOptions>();
        const loaded = load(global);
        const logger = cliLogger({ ...global, quiet: true }, loaded.config.logging.level, loaded.config.logging.file);
        const report = await runSync(loaded, { mode: 'plan', logger, explain: user, fingerprint: false });
        const explanation = report.explanation;
        if (!explanation) return EXIT.internal;
        if (options.json) process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
        else {
          const width = outputWidth();
          process.stdout.write(
            `${explanationText(explanation)
              .flatMap((l) => fitLine(l, width))
              .join('\n')}\n`,
          );
        }
        return explanation.matches === 0 ? EXIT.notFound : EXIT.ok;
      }),
    );
}
