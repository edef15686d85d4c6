/** `--json` of validate and init, and `export --format csv`, run through commander in-process. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerExportCommand } from '../../../src/cli/commands/export';
import { registerInitCommand, type InitJson } from '../../../src/cli/commands/init';
import { registerValidateCommand, type ValidateJson } from '../../../src/cli/commands/validate';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes';
import { parseConfig, readConfigFile } from '../../../src/config/load';
import { openStateDb } from '../../../src/state/db';
import { SnapshotStore } from '../../../src/state/snapshot';
import { desiredUser, snapshotOf } from '../builders';
import { minimalConfigText } from '../config-text';

type Register = (program: Command, run: (fn: () => Promise<number>) => Promise<void>) => void;

interface Ran {
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `dirsync <args>` with one command registered; stdout and stderr are captured. */
async function runCommand(register: Register, args: readonly string[]): Promise<Ran> {
  const program = new Command('dirsync').option('-c, --config <file>').exitOverride();
  let code: number | undefined;
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    register(program, async (fn) => {
      code = await fn();
    });
    await program.parseAsync(['node', 'dirsync', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { code, stdout, stderr };
}

const SECRETS = { DIRSYNC_BIND_PASSWORD: 'bind-s3cret', DIRSYNC_SCIM_TOKEN: 'token-s3cret' };

const CONFIG = minimalConfigText('state.db');

let dir: string;
const saved = { bind: process.env.DIRSYNC_BIND_PASSWORD, token: process.env.DIRSYNC_SCIM_TOKEN };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dirsync-json-'));
  Object.assign(process.env, SECRETS);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved.bind === undefined) delete process.env.DIRSYNC_BIND_PASSWORD;
  else process.env.DIRSYNC_BIND_PASSWORD = saved.bind;
  if (saved.token === undefined) delete process.env.DIRSYNC_SCIM_TOKEN;
  else process.env.DIRSYNC_SCIM_TOKEN = saved.token;
});

function configFile(text: string, name = 'connector.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('dirsync validate --json', () => {
  const validate = registerValidateCommand;

  it('a valid file: ok, the file, no errors, exit 0, nothing else on stdout', async () => {
    const file = configFile(CONFIG);
    const res = await runCommand(validate, ['-c', file, 'validate', '--json']);
    expect(res.code).toBe(EXIT.ok);
    expect(JSON.parse(res.stdout)).toEqual({ ok: true, file, errors: [] });
    expect(res.stderr).toBe('');
  });

  it('an invalid file: every problem with its path and message, exit 2', async () => {
    const file = configFile(
      CONFIG.replace('baseDns:', 'baseDn:').replace('url: https://api.example.com/scim/v2', 'url: ftp://x'),
    );
    const res = await runCommand(validate, ['-c', file, 'validate', '--json']);
    expect(res.code).toBe(EXIT.config);
    const json = JSON.parse(res.stdout) as ValidateJson;
    expect(json.ok).toBe(false);
    expect(json.file).toBe(file);
    expect(json.errors).toEqual(
      expect.arrayContaining([
        { path: 'directory.users.baseDns', message: 'required' },
        { path: 'directory.users.baseDn', message: 'unknown setting (did you mean baseDns?)' },
        { path: 'target.url', message: 'must be an http(s) URL' },
      ]),
    );
    expect(json.errors).toHaveLength(3);
    expect(res.stderr).toMatch(/^dirsync: error: .*\n$/);
  });

  it('an unresolved secret reference: the setting as path, exit 2, the secret never shown', async () => {
    delete process.env.DIRSYNC_SCIM_TOKEN;
    const file = configFile(CONFIG);
    const res = await runCommand(validate, ['-c', file, 'validate', '--json']);
    expect(res.code).toBe(EXIT.config);
    expect(JSON.parse(res.stdout)).toEqual({
      ok: false,
      file,
      errors: [{ path: 'target.token', message: 'environment variable DIRSYNC_SCIM_TOKEN is not set' }],
    });
    expect(res.stdout).not.toContain(SECRETS.DIRSYNC_BIND_PASSWORD);
  });

  it('a missing file or broken YAML: the problem for the file as a whole (path "")', async () => {
    const missing = path.join(dir, 'nope.yaml');
    const res = await runCommand(validate, ['-c', missing, 'validate', '--json']);
    expect(res.code).toBe(EXIT.config);
    expect(JSON.parse(res.stdout)).toEqual({
      ok: false,
      file: missing,
      errors: [{ path: '', message: 'config file not found' }],
    });

    const broken = configFile('directory: [\n  url: x\n', 'broken.yaml');
    const parsed = JSON.parse((await runCommand(validate, ['-c', broken, 'validate', '--json'])).stdout) as ValidateJson;
    expect(parsed.ok).toBe(false);
    expect(parsed.errors.length).toBeGreaterThan(0);
    for (const e of parsed.errors) {
      expect(e.path).toBe('');
      expect(e.message).toMatch(/^YAML /);
    }
  });

  it('without --json: the one-line text, unchanged', async () => {
    const file = configFile(CONFIG);
    const res = await runCommand(validate, ['-c', file, 'validate']);
    expect(res.stdout).toBe(`${file}: valid (1 mapped group, target https://api.example.com/scim/v2)\n`);
  });
});

describe('dirsync init --json', () => {
  let stdinTty: PropertyDescriptor | undefined;
  beforeEach(() => {
    stdinTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  });
  afterEach(() => {
    if (stdinTty) Object.defineProperty(process.stdin, 'isTTY', stdinTty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  });

  const flags = [
    '--directory-type',
    'openldap',
    '--url',
    'ldap://ldap.example.org:389',
    '--bind-dn',
    'cn=dirsync,dc=example,dc=org',
    '--base-dn',
    'ou=people,dc=example,dc=org',
    '--base-dn',
    'ou=staff,dc=example,dc=org',
    '--group',
    'cn=staff,dc=example,dc=org',
    '--user-type',
    'Creator',
    '--target-url',
    'https://api.example.com/scim/v2',
    '--verified-domain',
    'example.org',
  ];

  it('prints the file written and the settings chosen, never a secret; the file is valid', async () => {
    const out = path.join(dir, 'new.yaml');
    const res = await runCommand(registerInitCommand, ['init', ...flags, '--out', out, '--json']);
    expect(res.code).toBe(EXIT.ok);
    const json = JSON.parse(res.stdout) as InitJson;
    expect(json).toEqual({
      ok: true,
      file: out,
      settings: {
        directoryType: 'openldap',
        url: 'ldap://ldap.example.org:389',
        bindDn: 'cn=dirsync,dc=example,dc=org',
        baseDns: ['ou=people,dc=example,dc=org', 'ou=staff,dc=example,dc=org'],
        groups: ['cn=staff,dc=example,dc=org'],
        role: 'User',
        userType: 'Creator',
        caFile: null,
        targetUrl: 'https://api.example.com/scim/v2',
        verifiedDomains: ['example.org'],
        adminUserName: null,
      },
      environment: [
        { variable: 'DIRSYNC_BIND_PASSWORD', setting: 'directory.bindPassword' },
        { variable: 'DIRSYNC_SCIM_TOKEN', setting: 'target.token' },
      ],
      next: `dirsync doctor --config ${out}`,
    });
    for (const secret of Object.values(SECRETS)) expect(res.stdout).not.toContain(secret);
    const { raw, baseDir } = readConfigFile(out);
    const config = parseConfig(raw, baseDir, out);
    expect(config.directory?.users.baseDns).toEqual(json.settings.baseDns);
    expect(config.directory?.groups[0]?.userType).toBe('Creator');
  });

  it('a missing flag: a config error (exit 2), no file written', async () => {
    const out = path.join(dir, 'new.yaml');
    const failed = await runCommand(registerInitCommand, ['init', '--url', 'ldaps://x:636', '--out', out, '--json']).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(String(failed)).toContain('--bind-dn, --base-dn, --group, --target-url required');
    expect(exitCodeFor(failed)).toBe(EXIT.config);
    expect(existsSync(out)).toBe(false);
  });
});

describe('dirsync export --format csv', () => {
  function withSnapshot(): string {
    const db = openStateDb(path.join(dir, 'state.db'));
    const store = new SnapshotStore(db);
    store.put(snapshotOf(desiredUser('zoe.b', { givenName: 'Zoë', familyName: 'B', role: 'Publisher', userType: 'Creator' })));
    store.put(snapshotOf(desiredUser('adam.a', { role: 'User', userType: 'Viewer' })));
    db.close();
    return configFile(CONFIG);
  }

  it("is the product's built-in format, the same as --format builtin", async () => {
    const file = withSnapshot();
    const csv = await runCommand(registerExportCommand, ['-c', file, 'export', '--format', 'csv']);
    const builtin = await runCommand(registerExportCommand, ['-c', file, 'export', '--format', 'builtin']);
    const byDefault = await runCommand(registerExportCommand, ['-c', file, 'export']);
    expect(csv.code).toBe(EXIT.ok);
    expect(csv.stdout.split('\r\n')).toEqual([
      'Email,Role,User Type,First Name,Last Name,Username,Password',
      'adam.a@example.org,User,Viewer,Given,Family,adam.a,',
      'zoe.b@example.org,Publisher,Creator,Zoë,B,zoe.b,',
      '',
    ]);
    expect(builtin.stdout).toBe(csv.stdout);
    expect(byDefault.stdout).toBe(csv.stdout);
    const adldap = await runCommand(registerExportCommand, ['-c', file, 'export', '--format', 'adldap']);
    expect(adldap.stdout.split('\r\n')[0]).toBe('Username,Role,User Type');
  });

  it('--out names the format written; --identity-type stays with saml; other names are refused', async () => {
    const file = withSnapshot();
    const out = path.join(dir, 'users.csv');
    const res = await runCommand(registerExportCommand, ['-c', file, 'export', '--format', 'csv', '--out', out]);
    expect(res.stderr).toBe(`wrote ${out} (2 account(s), builtin format)\n`);
    expect(readFileSync(out, 'utf8').startsWith('Email,Role,User Type,')).toBe(true);
    await expect(
      runCommand(registerExportCommand, ['-c', file, 'export', '--format', 'csv', '--identity-type', 'SAML']),
    ).rejects.toThrow('--identity-type goes with --format saml only');
    await expect(runCommand(registerExportCommand, ['-c', file, 'export', '--format', 'xlsx'])).rejects.toThrow(
      /Allowed choices are csv, builtin, adldap, saml/,
    );
  });
});
