import type { Secret } from '../config/secret';
import type { DirectoryConfig } from '../config/schema';
import { DirectoryClient } from '../directory/client';
import { normalizeDn } from '../directory/dn';
import { groupMembers, readDirectory, readGroupEntry } from '../directory/read';
import { resolveSettings, type DirectorySettings } from '../directory/settings';
import { errorCode, errorMessage } from '../errors/codes';
import type { DirectoryUser } from '../model/directory-user';
import { fetchCertificate } from './tls-check';
import { fail, pass, secretSource, skip, type Check } from './check';

export interface DirectoryChecks {
  readonly checks: Check[];
  /** In-scope users, when the directory could be read (for the domain checks). */
  readonly users?: readonly DirectoryUser[];
  readonly settings?: DirectorySettings;
}

function connectFix(url: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'ENOTFOUND') return `the host of ${url} is not known to DNS: check directory.url`;
  if (code === 'ECONNREFUSED')
    return `nothing listens on ${url}: check directory.url (ldaps:// is usually port 636, ldap:// 389) and that the server runs`;
  return `check directory.url, the firewall between this machine and ${url}, and that the server runs`;
}

/**
 * Connects to each configured URL (reachable, TLS, bind), then with the first that works checks
 * every base DN and mapped group and reads the users in scope.
 */
export async function checkDirectory(config: DirectoryConfig, bindPassword: Secret): Promise<DirectoryChecks> {
  const checks: Check[] = [];
  const urls = Array.isArray(config.url) ? config.url : [config.url];
  let client: DirectoryClient | undefined;
  for (const url of urls) {
    const secure = url.toLowerCase().startsWith('ldaps://');
    if (secure || config.tls.startTls) {
      const tlsCheck = await fetchCertificate(url, config);
      checks.push(...tlsCheck.checks);
      if (!tlsCheck.ok) {
        checks.push(skip('directory', `bind to ${url}: not tried, TLS failed`));
        continue;
      }
    } else if (config.allowInsecure) {
      checks.push(
        fail(
          'directory',
          `${url}: no TLS (directory.allowInsecure: true), the bind password crosses the network in clear text`,
          'use ldaps:// or directory.tls.startTls: true, and remove directory.allowInsecure',
        ),
      );
    }
    try {
      const c = await DirectoryClient.connect({
        urls: [url],
        bindDn: config.bindDn,
        bindPassword,
        caFile: config.tls.caFile,
        startTls: config.tls.startTls,
        allowInsecure: config.allowInsecure,
        timeoutMs: config.timeoutMs,
      });
      checks.push(pass('directory', `bind as ${config.bindDn} to ${url}: accepted`));
      if (client) await c.close();
      else client = c;
    } catch (err) {
      const code = errorCode(err);
      const fix =
        code === 'DIRECTORY_BIND'
          ? `check directory.bindDn and the password in ${secretSource(config.bindPassword)}; the account may also be locked or expired`
          : code === 'DIRECTORY_INSECURE'
            ? 'use ldaps://, or set directory.tls.startTls: true'
            : connectFix(url, (err as Error).cause ?? err);
      checks.push(fail('directory', `bind as ${config.bindDn} to ${url}: ${errorMessage(err)}`, fix));
    }
  }
  if (!client) {
    checks.push(skip('directory', 'base DNs, groups and users: not checked, no directory server could be used'));
    return { checks };
  }
  try {
    return await checkContent(client, config, checks);
  } finally {
    await client.close();
  }
}

async function checkContent(client: DirectoryClient, config: DirectoryConfig, checks: Check[]): Promise<DirectoryChecks> {
  const rootDse = await client.rootDse();
  const kind = config.type === 'auto' ? rootDse.kind : config.type;
  const settings = resolveSettings(config, kind);
  checks.push(
    pass('directory', `${client.url}: ${rootDse.vendorName ?? kind} (vendor ${kind}, id attribute ${settings.idAttribute})`),
  );
  const contexts = (await client.readEntry('', ['namingContexts']))?.attributes['namingcontexts'] ?? [];
  const knownUsers = new Set<string>();
  for (const base of settings.baseDns) {
    const entry = await client.readEntry(base, ['objectClass']).catch(() => undefined);
    if (!entry) {
      checks.push(
        fail(
          'directory',
          `users base ${base}: does not exist (or the bind account cannot see it)`,
          `correct directory.users.baseDns; this server holds ${contexts.join(', ') || 'no readable naming context'}`,
        ),
      );
      continue;
    }
    let count = 0;
    for await (const page of client.searchPages({
      base,
      scope: 'sub',
      filter: settings.userFilter,
      attributes: ['1.1'],
      pageSize: settings.pageSize,
    })) {
      count += page.length;
      for (const e of page) knownUsers.add(normalizeDn(e.dn));
    }
    checks.push(pass('directory', `users base ${base}: exists, ${count} user entr${count === 1 ? 'y' : 'ies'}`));
  }
  let groupsOk = true;
  for (const [i, group] of settings.groups.entries()) {
    try {
      const entry = await readGroupEntry(client, settings, group.dn);
      const members = await groupMembers(client, settings, group, (dn) => knownUsers.has(dn), entry);
      const users = [...members].filter((dn) => knownUsers.has(dn)).length;
      checks.push(
        pass(
          'directory',
          `group ${group.dn}: ${members.size} member(s)${group.nested ? ' with nesting' : ''}, ${users} user(s) under the bases`,
        ),
      );
    } catch (err) {
      groupsOk = false;
      checks.push(
        fail(
          'directory',
          `group ${group.dn}: ${errorMessage(err)}`,
          `correct directory.groups[${i}].dn (the DN of a group entry under ${contexts.join(', ') || 'the naming context'}), or remove the mapping`,
        ),
      );
    }
  }
  const read = await readDirectory(client, settings);
  if (read.problems.length === 0 && groupsOk) checks.push(pass('directory', `users in scope: ${read.users.length}`));
  return { checks, users: read.users, settings };
}
