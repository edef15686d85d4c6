/**
 * The bind password and the API token never appear in logs (console and files, debug level),
 * reports, plan files, the journal or the state database; the state database and plan files
 * are readable by their owner only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'ldapts';
import { OPENLDAP, SCIM_TOKEN } from '../support/env';
import { openldapConfig, runCli, SECRETS_ENV, tempDir, writeConfig, type CliResult } from '../support/cli';
import { startCli } from '../support/cli-process';
import { deleteTree, loadOpenldapFixture, openldapAdmin, replaceAttribute, type Fixture } from '../support/ldap';
import { ScimProcess } from '../support/scim';

jest.setTimeout(120_000);

let ldap: Client;
let fx: Fixture;
let scim: ScimProcess;
let work: string;
let configFile: string;
const outputs: CliResult[] = [];

async function cli(args: string[], env: Record<string, string> = SECRETS_ENV): Promise<CliResult> {
  const res = await runCli(args, env);
  outputs.push(res);
  return res;
}

beforeAll(async () => {
  ldap = await openldapAdmin();
  fx = await loadOpenldapFixture(ldap, `secrets-${process.pid}`);
  work = tempDir('secrets');
  scim = new ScimProcess(path.join(work, 'scim.json'));
  await scim.start();
  configFile = writeConfig(work, {
    ...openldapConfig({
      base: fx.base,
      scimUrl: scim.url,
      statePath: path.join(work, 'state', 'dirsync.db'),
      groups: [
        { dn: fx.group('engineering'), role: 'Publisher', userType: 'Creator' },
        { dn: fx.group('sales'), role: 'User', userType: 'Viewer' },
      ],
    }),
    logging: { level: 'debug', file: { dir: 'logs' } },
  });
});

afterAll(async () => {
  await scim?.stop();
  if (fx) await deleteTree(ldap, fx.base).catch(() => undefined);
  await ldap?.unbind();
});

const SECRETS = [OPENLDAP.adminPassword, SCIM_TOKEN];

function expectNoSecret(label: string, text: string): void {
  for (const secret of SECRETS) {
    if (text.includes(secret)) throw new Error(`${label} contains a secret`);
  }
}

describe('secrets stay secret, state stays private', () => {
  it('every command at debug level, a killed run, a refused token and a plan file: no secret anywhere', async () => {
    expect((await cli(['-v', 'sync', '--config', configFile])).code).toBe(0);
    await replaceAttribute(ldap, fx.user('alice.smith'), 'displayName', ['Alice S.']);
    expect((await cli(['-v', 'plan', '--json', '--out', path.join(work, 'plan.json'), '--config', configFile])).code).toBe(0);
    expect((await cli(['-v', 'apply', path.join(work, 'plan.json'), '--config', configFile])).code).toBe(0);
    expect((await cli(['-v', 'status', '--json', '--config', configFile])).code).toBe(0);
    // A refused token is itself a secret: it is not printed either.
    await replaceAttribute(ldap, fx.user('bob.jones'), 'displayName', ['Bob J.']);
    const refused = await cli(['-v', 'sync', '--config', configFile], { ...SECRETS_ENV, DIRSYNC_SCIM_TOKEN: 'refused-token-77' });
    expect(refused.code).toBe(4);
    expect(refused.stdout + refused.stderr).not.toContain('refused-token-77');
    // A run killed mid-way leaves its journal behind; the next run resumes it.
    const killed = startCli(['-v', 'sync', '--config', configFile]);
    setTimeout(() => killed.kill9(), 400);
    outputs.push(await killed.done);
    expect((await cli(['-v', 'sync', '--json', '--config', configFile])).code).toBe(0);

    for (const [i, o] of outputs.entries()) expectNoSecret(`output of command ${i}`, o.stdout + o.stderr);
    // Debug logs did run (the test would prove nothing with silent commands).
    expect(outputs[0]?.stderr).toMatch(/debug/);
    // Every file the runs left: state database and WAL files, plan file, reports, log files.
    const files = readdirSync(work, { recursive: true, encoding: 'utf8' })
      .map((f) => path.join(work, f))
      .filter((f) => statSync(f).isFile() && !f.endsWith('scim.json') && !f.endsWith('.yaml'));
    for (const f of ['state/dirsync.db', 'plan.json']) expect(files).toContain(path.join(work, f));
    expect(files.filter((f) => f.includes(`${path.sep}reports${path.sep}`)).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.includes(`${path.sep}logs${path.sep}`)).length).toBeGreaterThan(0);
    for (const file of files) {
      expectNoSecret(file, readFileSync(file).toString('latin1'));
      expectNoSecret(`${file} (utf16)`, readFileSync(file).toString('utf16le'));
    }
  });

  it('the state database, its WAL files and plan files are readable by the owner only', () => {
    const stateDir = path.join(work, 'state');
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(stateDir, 'dirsync.db')).mode & 0o777).toBe(0o600);
    for (const f of ['dirsync.db-wal', 'dirsync.db-shm']) {
      const full = path.join(stateDir, f);
      if (existsSync(full)) expect(statSync(full).mode & 0o077).toBe(0);
    }
    expect(statSync(path.join(work, 'plan.json')).mode & 0o777).toBe(0o600);
  });
});
