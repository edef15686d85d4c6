/** `dirsync service install|uninstall --json`, with a fake systemctl and a temporary unit folder. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerServiceCommand, type ServiceActionJson } from '../../../src/cli/commands/service';
import { EXIT } from '../../../src/cli/exit-codes';
import { defaultServiceDeps, type ServiceDeps } from '../../../src/service/manage';
import type { CommandResult, CommandRunner } from '../../../src/service/runner';
import { minimalConfigText } from '../config-text';

const CONFIG = minimalConfigText('state/dirsync.db');

function fakeRunner(answers: Record<string, Partial<CommandResult>> = {}): CommandRunner {
  return async (file, args) => {
    const line = [file, ...args].join(' ');
    return { code: 0, stdout: '', stderr: '', notFound: false, ...(answers[line] ?? answers[file] ?? {}) };
  };
}

describe('dirsync service install|uninstall --json', () => {
  let dir: string;
  let configFile: string;
  let out: string;
  let notes: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-service-json-'));
    configFile = path.join(dir, 'etc', 'connector.yaml');
    mkdirSync(path.dirname(configFile));
    mkdirSync(path.join(dir, 'systemd'));
    writeFileSync(configFile, CONFIG);
    out = '';
    notes = '';
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const unitFile = (): string => path.join(dir, 'systemd', 'dirsync.service');

  async function service(
    args: readonly string[],
    run: CommandRunner,
    over: Partial<ServiceDeps> = {},
  ): Promise<number | undefined> {
    const deps: ServiceDeps = {
      ...defaultServiceDeps(run),
      platform: 'linux',
      unitDir: path.join(dir, 'systemd'),
      systemdBooted: () => true,
      nodePath: '/usr/bin/node',
      mainJs: '/opt/dirsync/dist/src/cli/main.js',
      out: (t) => (out += t),
      note: (t) => (notes += `${t}\n`),
      ...over,
    };
    const program = new Command('dirsync').option('-c, --config <file>').exitOverride();
    let code: number | undefined;
    registerServiceCommand(
      program,
      async (fn) => {
        code = await fn();
      },
      deps,
    );
    await program.parseAsync(['node', 'dirsync', '-c', configFile, 'service', ...args]);
    return code;
  }

  it('install: the unit written, the folders created, the commands run, enabled and active', async () => {
    const run = fakeRunner({
      'id -u dirsync': { stdout: '991\n' },
      'systemctl is-active dirsync.service': { stdout: 'active\n' },
    });
    expect(await service(['install', '--json'], run)).toBe(0);
    const json = JSON.parse(out) as ServiceActionJson;
    const stateDir = path.join(dir, 'etc', 'state');
    const reportsDir = path.join(dir, 'etc', 'reports');
    expect(json).toMatchObject({
      ok: true,
      action: 'install',
      platform: 'linux',
      dryRun: false,
      configFile,
      written: [unitFile()],
      removed: [],
      createdFolders: [reportsDir, stateDir],
      enabled: true,
      disabled: false,
      active: 'active',
      output: `dirsync.service installed (${unitFile()}), enabled, active\n`,
    });
    expect(json.commands).toEqual([
      { command: 'id -u dirsync', exitCode: 0 },
      { command: `chown dirsync: ${reportsDir}`, exitCode: 0 },
      { command: `chown dirsync: ${stateDir}`, exitCode: 0 },
      { command: 'systemctl --version', exitCode: 0 },
      { command: 'systemctl daemon-reload', exitCode: 0 },
      { command: 'systemctl enable --now dirsync.service', exitCode: 0 },
      { command: 'systemctl is-active dirsync.service', exitCode: 0 },
    ]);
    expect(json.notes).toContain(`wrote ${unitFile()}`);
    expect(json.notes.join('\n')).toContain('DIRSYNC_SCIM_TOKEN=...');
    expect(json).not.toHaveProperty('error');
    expect(readFileSync(unitFile(), 'utf8')).toContain('ExecStart=');
    expect(notes).toBe(''); // everything is in the JSON
  });

  it('install --dry-run: nothing written or enabled; the unit and the steps are in output and notes', async () => {
    expect(await service(['install', '--dry-run', '--json'], fakeRunner())).toBe(0);
    const json = JSON.parse(out) as ServiceActionJson;
    expect(json).toMatchObject({
      ok: true,
      dryRun: true,
      written: [],
      createdFolders: [],
      commands: [],
      enabled: false,
      active: null,
    });
    expect(json.output).toContain('[Service]');
    expect(json.notes[0]).toContain(`dry run: nothing written. An install writes ${unitFile()}`);
    expect(existsSync(unitFile())).toBe(false);
  });

  it('without systemd: ok false with the error code, exit 10, and the unit it did write', async () => {
    const code = await service(['install', '--json'], fakeRunner({ 'id -u dirsync': { stdout: '991\n' } }), {
      systemdBooted: () => false,
    });
    expect(code).toBe(EXIT.service);
    const json = JSON.parse(out) as ServiceActionJson;
    expect(json).toMatchObject({ ok: false, written: [unitFile()], enabled: false, active: null });
    expect(json.error?.code).toBe('SERVICE_MANAGER_UNAVAILABLE');
    expect(json.error?.message).toContain('the unit was written but not enabled');
    expect(notes).toMatch(/^dirsync: error: systemd is not running/);
  });

  it('uninstall: disabled, the unit removed, reloaded', async () => {
    writeFileSync(unitFile(), '[Unit]\n');
    expect(await service(['uninstall', '--json'], fakeRunner())).toBe(0);
    const json = JSON.parse(out) as ServiceActionJson;
    expect(json).toMatchObject({
      ok: true,
      action: 'uninstall',
      removed: [unitFile()],
      written: [],
      disabled: true,
      enabled: false,
    });
    expect(json.commands.map((c) => c.command)).toEqual([
      'systemctl --version',
      'systemctl disable --now dirsync.service',
      'systemctl daemon-reload',
    ]);
    expect(existsSync(unitFile())).toBe(false);
  });

  it('without --json the text output is unchanged', async () => {
    writeFileSync(unitFile(), '[Unit]\n');
    expect(await service(['uninstall'], fakeRunner())).toBe(0);
    expect(out).toBe('dirsync.service uninstalled. The config, state database, reports and logs are kept.\n');
  });
});
