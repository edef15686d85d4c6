import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import type { Secret } from '../config/secret';
import type { ReadEntry } from './entry';
import { pagedSearch, searchOnce } from './paged-search';
import { classifyRootDse, ROOT_DSE_ATTRIBUTES, type RootDseInfo } from './vendor';
import { DirectoryError, errorMessage } from '../errors/codes';

export type { EntryAttributes, ReadEntry } from './entry';

export interface LdapConnectionSettings {
  readonly urls: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: Secret;
  readonly caFile?: string | undefined;
  readonly startTls: boolean;
  readonly allowInsecure: boolean;
  readonly timeoutMs: number;
}

export interface SearchSpec {
  readonly base: string;
  readonly scope: 'base' | 'one' | 'sub';
  readonly filter: string;
  readonly attributes: readonly string[];
  readonly binaryAttributes?: readonly string[];
  readonly pageSize?: number;
}

/** A bound LDAP connection. Thin on purpose: policy (what to read, when to give up) lives in read.ts. */
export class DirectoryClient {
  readonly #client: Client;
  readonly url: string;
  /** Search continuation references seen (tolerated: AD returns them for other partitions). */
  referencesSeen = 0;
  /** Told the size of every page of entries as it arrives (a progress display). */
  onEntries: ((count: number) => void) | undefined;

  private constructor(client: Client, url: string) {
    this.#client = client;
    this.url = url;
  }

  /** Connects to the first URL that answers and binds; a bind failure is not retried elsewhere. */
  static async connect(settings: LdapConnectionSettings): Promise<DirectoryClient> {
    const failures: string[] = [];
    for (const url of settings.urls) {
      const secure = url.toLowerCase().startsWith('ldaps://');
      if (!secure && !settings.startTls && !settings.allowInsecure) {
        throw new DirectoryError(
          'DIRECTORY_INSECURE',
          `refusing a clear-text bind to ${url}: use ldaps://, set directory.tls.startTls: true, or (never in production) directory.allowInsecure: true`,
          { url },
        );
      }
      const tlsOptions: ConnectionOptions = { minVersion: 'TLSv1.2' };
      if (settings.caFile) {
        try {
          tlsOptions.ca = readFileSync(settings.caFile);
        } catch (err) {
          throw new DirectoryError(
            'DIRECTORY_CONNECT',
            `cannot read directory.tls.caFile ${settings.caFile}: ${errorMessage(err)}`,
          );
        }
      }
      // ldapts opens TLS at once when given tlsOptions, so a StartTLS URL gets them only at
      // the upgrade, with the host name that the certificate must match.
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      const client = new Client({
        url,
        timeout: settings.timeoutMs,
        connectTimeout: Math.min(settings.timeoutMs, 10_000),
        ...(secure ? { tlsOptions } : {}),
        strictDN: false,
      });
      try {
        if (!secure && settings.startTls) {
          await client.startTLS({ ...tlsOptions, host, ...(isIP(host) ? {} : { servername: host }) });
        }
      } catch (err) {
        failures.push(`${url}: ${errorMessage(err)}`);
        await client.unbind().catch(() => undefined);
        continue;
      }
      try {
        await client.bind(settings.bindDn, settings.bindPassword.reveal());
      } catch (err) {
        await client.unbind().catch(() => undefined);
        if (err instanceof InvalidCredentialsError) {
          throw new DirectoryError('DIRECTORY_BIND', `bind as ${settings.bindDn} to ${url} refused: invalid credentials`, {
            url,
          });
        }
        if (isCertificateError(err)) {
          throw new DirectoryError(
            'DIRECTORY_CONNECT',
            `TLS certificate of ${url} is not trusted (${errorMessage(err)}): set directory.tls.caFile to the CA that signed it`,
            { url },
          );
        }
        // A connection error surfaces at the first operation: try the next server.
        if (isConnectionError(err)) {
          failures.push(`${url}: ${errorMessage(err)}`);
          continue;
        }
        throw new DirectoryError('DIRECTORY_BIND', `bind as ${settings.bindDn} to ${url} failed: ${errorMessage(err)}`, { url });
      }
      return new DirectoryClient(client, url);
    }
    throw new DirectoryError('DIRECTORY_CONNECT', `no directory server answered: ${failures.join('; ')}`, {
      urls: settings.urls,
    });
  }

  /** Streams pages of entries; throws on any error, so a caller never sees a partial read as whole. */
  async *searchPages(spec: SearchSpec): AsyncGenerator<ReadEntry[]> {
    const binary = spec.binaryAttributes ?? [];
    for await (const page of pagedSearch(this.#client, {
      base: spec.base,
      scope: spec.scope,
      filter: spec.filter,
      attributes: spec.attributes,
      binaryAttributes: binary,
      pageSize: spec.pageSize ?? 500,
    })) {
      this.referencesSeen += page.references.length;
      this.onEntries?.(page.entries.length);
      yield page.entries;
    }
  }

  /** Reads one entry; undefined when it does not exist. */
  async readEntry(
    dn: string,
    attributes: readonly string[],
    binaryAttributes: readonly string[] = [],
  ): Promise<ReadEntry | undefined> {
    try {
      const entries = await searchOnce(this.#client, {
        base: dn,
        scope: 'base',
        filter: '(objectClass=*)',
        attributes,
        binaryAttributes,
      });
      return entries[0];
    } catch (err) {
      if (err instanceof NoSuchObjectError) return undefined;
      throw err;
    }
  }

  /** The server's RootDSE: who it is and what it supports. */
  async rootDse(): Promise<RootDseInfo> {
    return classifyRootDse(await this.readEntry('', ROOT_DSE_ATTRIBUTES));
  }

  async close(): Promise<void> {
    await this.#client.unbind().catch(() => undefined);
  }
}

function isCertificateError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY/i.test(code) || /certificate/i.test(errorMessage(err));
}

function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (
    (typeof code === 'string' &&
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code)) ||
    /connect|timed? ?out|socket/i.test(errorMessage(err))
  );
}
