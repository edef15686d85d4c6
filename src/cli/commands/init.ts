import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { parseConfig, readConfigFile } from '../../config/load';
import { STARTER_SECRETS, starterDocument, starterYaml, type StarterAnswers } from '../../config/starter';
import { ConfigError, DirsyncError } from '../../errors/codes';
import { EXIT } from '../exit-codes';
import { jsonText } from '../format';

export interface InitOptions {
  readonly directoryType?: StarterAnswers['directoryType'];
  readonly url?: string;
  readonly bindDn?: string;
  readonly baseDn?: string[];
  readonly group?: string[];
  readonly role: string;
  readonly userType: string;
  readonly caFile?: string;
  readonly targetUrl?: string;
  readonly verifiedDomain?: string[];
  readonly adminUser?: string;
  readonly out: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

/** What `dirsync init --json` prints: the file written and the answers it holds; never a secret. */
export interface InitJson {
  readonly ok: true;
  /** Absolute path of the config written (mode 0600), read back and valid. */
  readonly file: string;
  readonly settings: {
    readonly directoryType: StarterAnswers['directoryType'];
    readonly url: string;
    readonly bindDn: string;
    readonly baseDns: readonly string[];
    readonly groups: readonly string[];
    readonly role: string;
    readonly userType: string;
    readonly caFile: string | null;
    readonly targetUrl: string;
    readonly verifiedDomains: readonly string[];
    readonly adminUserName: string | null;
  };
  /** The environment variables to set before running dirsync: the file refers to them by name. */
  readonly environment: readonly { readonly variable: string; readonly setting: string }[];
  /** The command to run next. */
  readonly next: string;
}

export function initJson(file: string, answers: StarterAnswers, configArg: string): InitJson {
  return {
    ok: true,
    file,
    settings: {
      directoryType: answers.directoryType,
      url: answers.url,
      bindDn: answers.bindDn,
      baseDns: answers.baseDns,
      groups: answers.groups,
      role: answers.role,
      userType: answers.userType,
      caFile: answers.caFile ?? null,
      targetUrl: answers.targetUrl,
      verifiedDomains: answers.verifiedDomains,
      adminUserName: answers.adminUserName ?? null,
    },
    environment: [
      { variable: STARTER_SECRETS.bindPassword, setting: 'directory.bindPassword' },
      { variable: STARTER_SECRETS.token, setting: 'target.token' },
    ],
    next: `dirsync doctor --config ${configArg}`,
  };
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export type Ask = (question: string, fallback?: string) => Promise<string>;

/** Fills what the flags left out, asking the admin (or failing, when nobody can answer). */
export async function answersFrom(o: InitOptions, ask: Ask | undefined): Promise<StarterAnswers> {
  const need = async (value: string | undefined, question: string, flag: string, fallback?: string): Promise<string> => {
    if (value) return value;
    if (!ask) {
      if (fallback !== undefined) return fallback;
      throw new DirsyncError('CONFIG_INVALID', `${flag} is required when stdin is not a terminal`);
    }
    const answer = (await ask(question, fallback)).trim();
    if (!answer) return need(undefined, question, flag, fallback);
    return answer;
  };
  const list = async (values: string[] | undefined, question: string, flag: string, fallback?: string): Promise<string[]> =>
    values && values.length > 0
      ? values
      : (await need(undefined, `${question} (several: separate with ";")`, flag, fallback))
          .split(';')
          .map((v) => v.trim())
          .filter(Boolean);
  if (!ask) {
    const missing = (
      [
        ['--url', o.url],
        ['--bind-dn', o.bindDn],
        ['--base-dn', o.baseDn?.[0]],
        ['--group', o.group?.[0]],
        ['--target-url', o.targetUrl],
      ] as const
    ).filter(([, v]) => !v);
    if (missing.length > 0)
      throw new DirsyncError(
        'CONFIG_INVALID',
        `${missing.map(([flag]) => flag).join(', ')} required when stdin is not a terminal (run dirsync init in a terminal to be asked)`,
      );
  }
  const type = await need(o.directoryType, 'Directory type: auto, activedirectory, openldap or ldap', '--directory-type', 'auto');
  if (!['auto', 'activedirectory', 'openldap', 'ldap'].includes(type))
    throw new DirsyncError('CONFIG_INVALID', `directory type "${type}": must be auto, activedirectory, openldap or ldap`);
  const url = await need(o.url, 'Directory URL (ldaps://host:636, or ldap://host:389 for StartTLS)', '--url');
  return {
    directoryType: type as StarterAnswers['directoryType'],
    url,
    bindDn: await need(o.bindDn, 'Bind DN of the read-only service account', '--bind-dn'),
    baseDns: await list(o.baseDn, 'Base DN where the users live', '--base-dn'),
    groups: await list(o.group, 'DN of a group whose members get accounts', '--group'),
    role: o.role,
    userType: o.userType,
    caFile:
      o.caFile ??
      (ask
        ? (await ask('PEM file of the CA of the directory certificate (empty: the system CAs)', '')).trim() || undefined
        : undefined),
    targetUrl: await need(o.targetUrl, 'SCIM base URL of the product (https://.../scim/v2)', '--target-url'),
    verifiedDomains:
      o.verifiedDomain ??
      (ask
        ? (await ask('Verified email domain(s), separated with ";"', ''))
            .split(';')
            .map((d) => d.trim())
            .filter(Boolean)
        : []),
    adminUserName:
      o.adminUser ?? (ask ? (await ask("userName of the product's organisation admin", '')).trim() || undefined : undefined),
  };
}

/** The JSON Schema shipped beside the program (config/connector.schema.json). */
function shippedSchema(): string {
  return path.resolve(__dirname, '../../../../config/connector.schema.json');
}

export function registerInitCommand(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('init')
    .description('write a starter config from a few questions (or from flags), then validate it; never writes a secret')
    .addOption(
      new Option('--directory-type <type>', 'auto, activedirectory, openldap or ldap').choices([
        'auto',
        'activedirectory',
        'openldap',
        'ldap',
      ]),
    )
    .option('--url <url>', 'directory URL: ldaps://host:636 (or ldap://host:389, upgraded with StartTLS)')
    .option('--bind-dn <dn>', 'DN (or user@domain on AD) of the read-only service account')
    .option('--base-dn <dn>', 'where the users live (repeatable)', collect)
    .option('--group <dn>', 'a group whose members get accounts (repeatable)', collect)
    .option('--role <role>', 'role given to the members of these groups', 'User')
    .option('--user-type <type>', 'user type given to the members of these groups', 'Viewer')
    .option('--ca-file <file>', 'PEM file of the CA that signed the directory certificate')
    .option('--target-url <url>', 'SCIM 2.0 base URL of the product')
    .option('--verified-domain <domain>', 'an email domain verified in the product (repeatable)', collect)
    .option('--admin-user <userName>', "userName of the product's organisation admin (checked by doctor)")
    .option('--out <file>', 'where to write the config', 'connector.yaml')
    .option('--force', 'overwrite the file when it exists')
    .option('--json', 'print the file written and the settings chosen as JSON (questions still go to stderr)')
    .action((options: InitOptions) =>
      run(async () => {
        const out = path.resolve(options.out);
        if (existsSync(out) && !options.force)
          throw new DirsyncError('CONFIG_INVALID', `${out} exists: choose another --out, or --force to overwrite it`);
        let answers: StarterAnswers;
        if (process.stdin.isTTY) {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            answers = await answersFrom(options, (q, fallback) =>
              rl.question(fallback ? `${q} [${fallback}]: ` : `${q}: `).then((a) => a || fallback || ''),
            );
          } finally {
            rl.close();
          }
        } else answers = await answersFrom(options, undefined);
        writeFileSync(out, starterYaml(starterDocument(answers), out, shippedSchema()), { mode: 0o600 });
        // Read back what was written, as every other command will: a file init writes must load.
        try {
          const { raw, baseDir } = readConfigFile(out);
          parseConfig(raw, baseDir, out);
        } catch (err) {
          if (err instanceof ConfigError) unlinkSync(out);
          throw err;
        }
        if (options.json) {
          process.stdout.write(jsonText(initJson(out, answers, options.out)));
          return EXIT.ok;
        }
        process.stdout.write(
          [
            `Wrote ${out} (valid).`,
            'It holds no secret. Before running dirsync, set:',
            `  ${STARTER_SECRETS.bindPassword}  the password of ${answers.bindDn}`,
            `  ${STARTER_SECRETS.token}  the product's API token`,
            `Then check everything: dirsync doctor --config ${options.out}`,
            '',
          ].join('\n'),
        );
        return EXIT.ok;
      }),
    );
}
