import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { OPENLDAP, REPO_ROOT, SAMBA, SCIM_TOKEN } from './env';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const SECRETS_ENV = { DIRSYNC_BIND_PASSWORD: OPENLDAP.adminPassword, DIRSYNC_SCIM_TOKEN: SCIM_TOKEN };

/** Runs the built CLI as an admin would, in its own process. */
export function runCli(args: readonly string[], env: Record<string, string> = SECRETS_ENV): Promise<CliResult> {
  const main = path.join(REPO_ROOT, 'dist/src/cli/main.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `dirsync-${prefix}-`));
}

/** Writes a YAML config file; `config` is the document (tests build it with openldapConfig). */
export function writeConfig(dir: string, config: unknown, name = 'connector.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}

export interface OpenldapConfigOptions {
  readonly base: string;
  readonly scimUrl: string;
  readonly groups: readonly Record<string, unknown>[];
  readonly extraDirectory?: Record<string, unknown>;
  /** More target settings (concurrency, bulk limits, retry) beside url and token. */
  readonly extraTarget?: Record<string, unknown>;
  readonly statePath?: string;
}

export function openldapConfig(o: OpenldapConfigOptions): Record<string, unknown> {
  return {
    directory: {
      url: OPENLDAP.ldapsUrl,
      bindDn: OPENLDAP.adminDn,
      bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
      tls: { caFile: OPENLDAP.caFile },
      users: { baseDns: [`ou=people,${o.base}`] },
      groups: o.groups,
      ...o.extraDirectory,
    },
    target: { url: o.scimUrl, token: '${env:DIRSYNC_SCIM_TOKEN}', ...o.extraTarget },
    state: { path: o.statePath ?? 'state.db' },
  };
}

export interface SambaConfigOptions {
  readonly baseDns: readonly string[];
  readonly scimUrl: string;
  readonly groups: readonly Record<string, unknown>[];
  readonly extraDirectory?: Record<string, unknown>;
  readonly statePath?: string;
}

/** A config for the Samba DC that leaves every AD-specific setting to vendor detection. */
export function sambaConfig(o: SambaConfigOptions): Record<string, unknown> {
  return {
    directory: {
      url: SAMBA.ldapsUrl,
      bindDn: SAMBA.adminUpn,
      bindPassword: '${env:DIRSYNC_BIND_PASSWORD}',
      tls: { caFile: SAMBA.caFile },
      users: { baseDns: [...o.baseDns] },
      groups: o.groups,
      ...o.extraDirectory,
    },
    target: { url: o.scimUrl, token: '${env:DIRSYNC_SCIM_TOKEN}' },
    state: { path: o.statePath ?? 'state.db' },
  };
}

export const SAMBA_ENV = { DIRSYNC_BIND_PASSWORD: SAMBA.adminPassword, DIRSYNC_SCIM_TOKEN: SCIM_TOKEN };
