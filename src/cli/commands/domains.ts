import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { domainOf, domainReport, SSO_READY_RATE, type DomainRow, type SkippedEntry } from '../../doctor/domains';
import type { SnapshotUser } from '../../model/user-state';
import { readReport, type ReportDocument } from '../../report/files';
import { openStateDb } from '../../state/db';
import { SnapshotStore } from '../../state/snapshot';
import { load, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { table } from '../format';
import { columnsOf, wrap } from '../tty';

/** The newest sync report: consolidation is only found by sending, so a plan's report would miss it. */
function lastSyncReport(dir: string): ReportDocument | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return undefined;
  }
  const byAge = names
    .map((n) => ({ id: n.slice(0, -'.json'.length), mtime: statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { id } of byAge) {
    const doc = readReport(dir, id);
    if (doc?.mode === 'sync') return doc;
  }
  return undefined;
}

const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

/** A skipped user's domain: from the run's own create operation, the snapshot, or the message; else unknown. */
function skippedEntries(doc: ReportDocument | undefined, snapshot: readonly SnapshotUser[]): SkippedEntry[] {
  if (!doc) return [];
  const emails = new Map<string, string>();
  for (const u of snapshot) emails.set(u.externalId, u.email);
  for (const op of doc.operations ?? []) {
    if (typeof op.externalId === 'string' && typeof op.email === 'string') emails.set(op.externalId, op.email);
  }
  return (doc.skipped ?? []).map((s) => {
    const id = typeof s.externalId === 'string' ? s.externalId : '';
    const message = typeof s.message === 'string' ? s.message : '';
    const email = emails.get(id) ?? EMAIL_IN_TEXT.exec(message)?.[0];
    return { reason: String(s.reason), domain: email ? domainOf(email) : '(unknown)' };
  });
}

const percent = (rate: number | undefined): string => (rate === undefined ? '-' : `${Math.floor(rate * 100)} %`);

export function domainsText(rows: readonly DomainRow[], runId: string | undefined, width: number): string {
  if (rows.length === 0) return 'No managed accounts and no skipped users yet: run dirsync sync first.';
  // Figures first and the domain last: the last column takes what is left of the width.
  const body = table(
    ['VERIF', 'MANAGED', 'ACTIVE', 'PENDING', 'INACT', 'SKIP', 'CONSOL', 'RATE', 'DOMAIN'],
    rows.map((r) => [
      r.verified ? 'yes' : 'NO',
      String(r.managed),
      String(r.active),
      String(r.pending),
      String(r.inactive),
      String(r.skipped),
      String(r.needsConsolidation),
      percent(r.consolidationRate),
      r.domain,
    ]),
    width,
  );
  const notes = [
    '',
    `Skipped and consolidation: ${runId ? `from the last sync, ${runId}` : 'no sync report found in reports.dir'}.`,
    'VERIF: the domain is in product.verifiedDomains. PENDING: created in a domain that is not verified, so Unverified until the person activates by email. INACT: deactivated. SKIP: skipped for a rule by the last sync. CONSOL: accounts outside the organisation that need consolidation. RATE: accounts in the organisation / all known accounts.',
  ];
  const ready = percent(SSO_READY_RATE);
  for (const r of rows) {
    if (r.consolidationRate === undefined || r.domain.startsWith('(')) continue;
    if (r.consolidationRate < SSO_READY_RATE)
      notes.push(
        `${r.domain}: ${percent(r.consolidationRate)} consolidated, below the ${ready} vendors recommend before enforcing single sign-on: invite the ${r.needsConsolidation} remaining account(s) to consolidate first.`,
      );
    else
      notes.push(
        `${r.domain}: ${percent(r.consolidationRate)} consolidated, at or above the ${ready} vendors recommend before enforcing single sign-on.`,
      );
  }
  return [body, ...notes.flatMap((n) => (n ? wrap(n, width, '  ') : ['']))].join('\n');
}

/** `dirsync report domains`, a subcommand of `report <run>`: commander tries it first, so no run id is shadowed but "domains". */
export function registerDomainsCommand(
  report: Command,
  program: Command,
  run: (fn: () => Promise<number>) => Promise<void>,
): void {
  report
    .command('domains')
    .description('per email domain: managed, active, pending, unverified, skipped, needing consolidation, consolidation rate')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }) =>
      run(async () => {
        const { config } = load(program.opts<GlobalOptions>());
        const db = openStateDb(config.state.path);
        let snapshot: SnapshotUser[];
        try {
          snapshot = new SnapshotStore(db).all();
        } finally {
          db.close();
        }
        const doc = lastSyncReport(config.reports.dir);
        const rows = domainReport(snapshot, skippedEntries(doc, snapshot), config.product.verifiedDomains);
        // `report` has its own --json, and commander gives an option to the first command that knows it.
        if (options.json === true || report.opts<{ json?: boolean }>().json === true) {
          process.stdout.write(
            `${JSON.stringify({ run: doc?.runId ?? null, ssoReadyRate: SSO_READY_RATE, domains: rows }, null, 2)}\n`,
          );
        } else process.stdout.write(`${domainsText(rows, doc?.runId, columnsOf(process.stdout))}\n`);
        return EXIT.ok;
      }),
    );
}
