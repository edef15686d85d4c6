import { loadConfig, type LoadedConfig } from '../config/load';
import { readCsvSource } from '../csv/read';
import { CSV_ATTRIBUTES, CSV_USERNAME_TEMPLATE } from '../csv/source';
import { ConfigError, DirsyncError, errorMessage } from '../errors/codes';
import type { DirectoryUser } from '../model/directory-user';
import { buildDesiredState } from '../rules/desired';
import type { GroupMapping } from '../rules/mapping';
import { fail, pass, skip, warn, type Check } from './check';
import { checkDirectory } from './directory-checks';
import { unverifiedCounts } from './domains';
import { checkTarget } from './target-checks';

export interface DoctorResult {
  readonly file: string;
  readonly ok: boolean;
  readonly checks: readonly Check[];
}

interface SourceUsers {
  readonly users: readonly DirectoryUser[];
  readonly usernameTemplate: string;
  readonly attributes: { email: string; givenName: string; familyName: string; displayName: string };
  readonly groups: readonly GroupMapping[];
}

async function checkSource(loaded: LoadedConfig): Promise<{ checks: Check[]; source?: SourceUsers }> {
  const { config } = loaded;
  if (config.directory && loaded.bindPassword) {
    const result = await checkDirectory(config.directory, loaded.bindPassword);
    if (!result.users || !result.settings) return { checks: result.checks };
    return {
      checks: result.checks,
      source: {
        users: result.users,
        usernameTemplate: result.settings.usernameTemplate,
        attributes: config.directory.attributes,
        groups: config.directory.groups,
      },
    };
  }
  const csv = config.source?.csv;
  if (!csv) return { checks: [] };
  try {
    const read = readCsvSource(csv, config.rules);
    return {
      checks: [
        pass(
          'directory',
          `CSV source ${csv.file}: ${read.rows} row(s), all valid; ${read.users.length} in scope, ${read.outOfScope} in no mapped group`,
        ),
      ],
      source: { users: read.users, usernameTemplate: CSV_USERNAME_TEMPLATE, attributes: CSV_ATTRIBUTES, groups: read.mapping },
    };
  } catch (err) {
    const rows = err instanceof DirsyncError && Array.isArray(err.details.rows) ? (err.details.rows as string[]) : [];
    return {
      checks: [
        fail(
          'directory',
          rows.length > 0 ? `CSV source ${csv.file}: ${rows.length} bad row(s); a sync would send nothing` : errorMessage(err),
          'fix or remove the rows listed (row 1 is the header), then run doctor again',
          rows,
        ),
      ],
    };
  }
}

function domainChecks(loaded: LoadedConfig, source: SourceUsers | undefined): Check[] {
  const { verifiedDomains } = loaded.config.product;
  const checks: Check[] = [];
  if (verifiedDomains.length === 0) {
    checks.push(
      fail(
        'product',
        'verified domains: none configured in product.verifiedDomains',
        'verify your email domain(s) in the product (DNS) and list them in product.verifiedDomains: the product needs at least one',
      ),
    );
  } else checks.push(pass('product', `verified domains: ${verifiedDomains.join(', ')}`));
  if (!source) {
    checks.push(skip('product', 'users of unverified domains: not counted, the source could not be read'));
    return checks;
  }
  const desired = buildDesiredState(source.users, {
    usernameTemplate: source.usernameTemplate,
    attributes: source.attributes,
    groups: source.groups,
    foldAccents: loaded.config.rules.foldAccents,
    usernameCase: loaded.config.rules.usernameCase,
  });
  const counts = unverifiedCounts(
    desired.users.map((u) => u.email),
    verifiedDomains,
  );
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) checks.push(pass('product', `users of unverified domains: none of ${desired.users.length}`));
  else
    checks.push(
      warn(
        'product',
        `users of unverified domains: ${total} of ${desired.users.length} would land Unverified and need email activation`,
        'verify these domains in the product and add them to product.verifiedDomains, or expect these users to activate by email',
        [...counts].map(([d, n]) => `${d}: ${n}`),
      ),
    );
  return checks;
}

/** Every preflight check; never throws for a set-up problem, each one becomes a failed check. */
export async function runDoctor(file: string, env: NodeJS.ProcessEnv = process.env): Promise<DoctorResult> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(file, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const fix =
      err.code === 'SECRET_UNRESOLVED'
        ? 'set the environment variables (or create the files) the config refers to'
        : err.code === 'CONFIG_NOT_FOUND'
          ? 'pass --config FILE, set DIRSYNC_CONFIG, or create connector.yaml (dirsync init)'
          : 'correct the settings listed';
    return { file, ok: false, checks: [fail('config', `config ${file}: ${err.code}`, fix, err.problems)] };
  }
  const checks: Check[] = [pass('config', `config ${loaded.file}: valid`)];
  const source = await checkSource(loaded);
  checks.push(...source.checks);
  checks.push(...domainChecks(loaded, source.source));
  checks.push(...(await checkTarget(loaded.config, loaded.token)));
  return { file: loaded.file, ok: checks.every((c) => c.status !== 'fail'), checks };
}
