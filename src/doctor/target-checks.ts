import { z } from 'zod';
import type { Config } from '../config/schema';
import type { Secret } from '../config/secret';
import { errorCode, errorMessage, TargetError } from '../errors/codes';
import { ScimClient } from '../target/scim-client';
import { primaryEmail, ScimUser } from '../target/scim-types';
import { fail, pass, secretSource, skip, warn, type Check } from './check';
import { domainOf, isVerified } from './domains';

const Supported = z.looseObject({ supported: z.boolean().optional() }).optional();
/** What doctor shows of /ServiceProviderConfig (RFC 7643 §5); permissive like every external read. */
const ServiceProviderConfig = z.looseObject({
  bulk: z.looseObject({ supported: z.boolean().optional(), maxOperations: z.number().optional() }).optional(),
  filter: z.looseObject({ supported: z.boolean().optional(), maxResults: z.number().optional() }).optional(),
  etag: Supported,
  patch: Supported,
});

const WithRoles = z.looseObject({
  roles: z.array(z.looseObject({ value: z.string().optional() })).optional(),
});

const yesNo = (v: boolean | undefined): string => (v === true ? 'yes' : v === false ? 'no' : 'not said');

function targetFix(err: unknown, config: Config): string {
  const status = err instanceof TargetError ? err.status : undefined;
  if (status === 401 || status === 403)
    return `the API refused the token: put a valid API token for ${config.target.url} in ${secretSource(config.target.token)}`;
  if (status === 404) return 'target.url must be the SCIM base URL (the one ending in /scim/v2 or similar)';
  if (errorCode(err) === 'TARGET_INSECURE') return 'use an https:// target.url';
  if (status === undefined)
    return `check target.url, the proxy and firewall between this machine and ${new URL(config.target.url).host}, and target.caFile for a private CA`;
  return 'see the answer above; the API may be down';
}

/** The SCIM API: reachable, token accepted, features, and the product's admin precondition. */
export async function checkTarget(config: Config, token: Secret): Promise<Check[]> {
  const checks: Check[] = [];
  let client: ScimClient;
  try {
    client = new ScimClient({
      url: config.target.url,
      token,
      caFile: config.target.caFile,
      allowInsecure: config.target.allowInsecure,
      timeoutMs: Math.min(config.target.timeoutMs, 15_000),
      // One try each: a doctor reports what it sees now, it does not wait out an outage.
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
  } catch (err) {
    return [fail('target', `target ${config.target.url}: ${errorMessage(err)}`, targetFix(err, config))];
  }
  try {
    try {
      const spc = ServiceProviderConfig.safeParse(await client.getJson('/ServiceProviderConfig'));
      const c = spc.success ? spc.data : {};
      checks.push(pass('target', `${config.target.url}: reachable`));
      checks.push(
        pass(
          'target',
          `ServiceProviderConfig: bulk ${yesNo(c.bulk?.supported)}, ETag ${yesNo(c.etag?.supported)}, filter ${yesNo(c.filter?.supported)}${c.filter?.maxResults ? ` (max ${c.filter.maxResults} results)` : ''}, PATCH ${yesNo(c.patch?.supported)}`,
        ),
      );
    } catch (err) {
      const status = err instanceof TargetError ? err.status : undefined;
      if (status === undefined) {
        checks.push(fail('target', `${config.target.url}: not reachable (${errorMessage(err)})`, targetFix(err, config)));
        checks.push(skip('target', 'token and admin account: not checked, the API cannot be reached'));
        return checks;
      }
      checks.push(pass('target', `${config.target.url}: reachable`));
      if (status !== 401 && status !== 403)
        checks.push(
          warn(
            'target',
            `ServiceProviderConfig: ${errorMessage(err)}`,
            'the API does not describe itself; dirsync assumes no ETag support',
          ),
        );
    }
    try {
      await client.getJson('/Users?startIndex=1&count=1');
      checks.push(pass('target', 'API token: accepted (GET /Users)'));
    } catch (err) {
      checks.push(fail('target', `API token: ${errorMessage(err)}`, targetFix(err, config)));
      checks.push(skip('product', 'admin account: not checked, the token was refused'));
      return checks;
    }
    checks.push(await checkAdmin(client, config));
    return checks;
  } finally {
    await client.close();
  }
}

/**
 * The product's admin precondition (DOMAIN.md): product.adminUserName is an active account on the
 * target with a role in product.adminRoles and an email of a verified domain. Only the user lookup
 * of the client is used, so tests give a fake.
 */
export async function checkAdmin(client: Pick<ScimClient, 'findUsers'>, config: Pick<Config, 'product'>): Promise<Check> {
  const { adminUserName, adminRoles, verifiedDomains } = config.product;
  if (!adminUserName)
    return fail(
      'product',
      'admin account: product.adminUserName is not set',
      'set product.adminUserName to the userName of the organisation admin the API token belongs to',
    );
  let found: ScimUser[];
  try {
    found = await client.findUsers('userName', adminUserName);
  } catch (err) {
    return fail(
      'product',
      `admin account ${adminUserName}: lookup failed (${errorMessage(err)})`,
      'check that the API allows filtering Users by userName',
    );
  }
  const admin = found[0];
  if (!admin)
    return fail(
      'product',
      `admin account ${adminUserName}: not found on the target`,
      'set product.adminUserName to the exact userName of an existing organisation admin',
    );
  const problems: string[] = [];
  if (admin.active === false) problems.push('it is inactive');
  const roles = (WithRoles.safeParse(admin).data?.roles ?? []).map((r) => r.value ?? '');
  const wanted = adminRoles.map((r) => r.toLowerCase());
  if (!roles.some((r) => wanted.includes(r.toLowerCase())))
    problems.push(`its roles (${roles.join(', ') || 'none'}) include none of product.adminRoles (${adminRoles.join(', ')})`);
  const email = primaryEmail(admin);
  const domain = domainOf(email);
  if (!isVerified(domain, verifiedDomains)) problems.push(`its email domain ${domain} is not in product.verifiedDomains`);
  if (problems.length > 0)
    return fail(
      'product',
      `admin account ${adminUserName}: ${problems.join('; ')}`,
      'the product requires an active organisation admin with an admin role whose email domain is verified: fix the account in the product, or point product.adminUserName at one that is',
    );
  return pass(
    'product',
    `admin account ${adminUserName}: active, role ${roles.join(', ')}, email ${email ?? ''} (verified domain)`,
  );
}
