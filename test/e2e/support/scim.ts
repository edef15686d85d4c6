import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import { REPO_ROOT, SCIM_TOKEN } from './env';

export interface ScimStats {
  requests: number;
  mutating: number;
  byMethod: Record<string, number>;
}

export interface ScimUserView {
  id: string;
  userName: string;
  externalId?: string;
  active?: boolean;
  displayName?: string;
  userType?: string;
  name?: { givenName?: string; familyName?: string };
  emails?: { value: string; primary?: boolean }[];
  roles?: { value: string; primary?: boolean }[];
  entitlements?: { value: string }[];
  [extension: string]: unknown;
}

/**
 * The SCIM target as its own process (the compiled scripts/scim-target/main.js), so a test
 * can restart it for real. Each test file gets its own data file and port.
 */
export class ScimProcess {
  #child: ChildProcess | undefined;
  #port = 0;
  url = '';

  constructor(readonly dataFile: string) {}

  async start(): Promise<void> {
    const main = path.join(REPO_ROOT, 'dist/scripts/scim-target/main.js');
    const child = spawn(process.execPath, [main, '--port', String(this.#port), '--data', this.dataFile], {
      env: { ...process.env, DIRSYNC_SCIM_TOKEN: SCIM_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`SCIM target did not start: ${stderr}`)), 15_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`SCIM target exited (${code}): ${stderr}`));
      });
    });
    // Keep the port across restarts so the connector's config stays valid.
    this.#port = Number(new URL(this.url).port);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    this.#child = undefined;
  }

  get origin(): string {
    return new URL(this.url).origin;
  }

  async stats(): Promise<ScimStats> {
    const res = await request(`${this.origin}/_admin/stats`, { headers: { authorization: `Bearer ${SCIM_TOKEN}` } });
    return (await res.body.json()) as ScimStats;
  }

  async users(): Promise<ScimUserView[]> {
    const all: ScimUserView[] = [];
    for (let start = 1; ; start += 100) {
      const res = await request(`${this.url}/Users?startIndex=${start}&count=100`, {
        headers: { authorization: `Bearer ${SCIM_TOKEN}` },
      });
      const body = (await res.body.json()) as { totalResults: number; Resources?: ScimUserView[] };
      all.push(...(body.Resources ?? []));
      if (all.length >= body.totalResults || (body.Resources ?? []).length === 0) return all;
    }
  }

  async get(pathname: string): Promise<{ status: number; body: unknown }> {
    const res = await request(`${this.url}${pathname}`, { headers: { authorization: `Bearer ${SCIM_TOKEN}` } });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** A PATCH as an admin console would send it (RFC 7644 §3.5.2). */
  async patch(pathname: string, operations: readonly Record<string, unknown>[]): Promise<number> {
    const res = await request(`${this.url}${pathname}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations }),
    });
    await res.body.text();
    return res.statusCode;
  }

  async user(userName: string): Promise<ScimUserView | undefined> {
    return (await this.users()).find((u) => u.userName === userName);
  }

  /** The group named so, with its member ids. */
  async group(displayName: string): Promise<{ id: string; members: string[] } | undefined> {
    const filter = encodeURIComponent(`displayName eq "${displayName}"`);
    const found = await this.get(`/Groups?filter=${filter}`);
    const first = (found.body as { Resources?: { id: string }[] }).Resources?.[0];
    if (!first) return undefined;
    const group = (await this.get(`/Groups/${first.id}`)).body as { members?: { value: string }[] };
    return { id: first.id, members: (group.members ?? []).map((m) => m.value).sort() };
  }

  async post(pathname: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const res = await request(`${this.url}${pathname}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.json() };
  }
}
