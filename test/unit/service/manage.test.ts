import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerServiceCommand } from '../../../src/cli/commands/service';
import { parseConfig } from '../../../src/config/load';
import {
  defaultServiceDeps,
  installService,
  serviceStatus,
  uninstallService,
  type FileOps,
  type ServiceDeps,
} from '../../../src/service/manage';
import type { CommandResult, CommandRunner } from '../../../src/service/runner';
import { minimalConfigText } from '../config-text';

const CONFIG =
  minimalConfigText('state/dirsync.db') +
  `logging: { file: { dir: logs } }
notifications:
  webhook: { url: "\${env:DIRSYNC_HOOK_URL}" }
`;

/** Scripted answers per command line ("systemctl is-active dirsync.service"), recording every call. */
function fakeRunner(answers: Record<string, Partial<CommandResult>> = {}): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const a = answers[line] ?? answers[file] ?? {};
    return { code: 0, stdout: '', stderr: '', notFound: false, ...a };
  };
  return Object.assign(run, { calls });
}

describe('dirsync service (Linux, systemd)', () => {
  let dir: string;
  let configFile: string;
  let out: string;
  let notes: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-service-'));
    configFile = path.join(dir, 'etc', 'connector.yaml');
    mkdirSync(path.dirname(configFile));
    mkdirSync(path.join(dir, 'systemd'));
    writeFileSync(configFile, CONFIG);
    out = '';
    notes = '';
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function deps(run: CommandRunner, over: Partial<ServiceDeps> = {}): ServiceDeps {
    return {
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
  }

  const unitFile = (): string => path.join(dir, 'systemd', 'dirsync.service');

  it('--dry-run prints the unit and the steps, and changes nothing', async () => {
    const run = fakeRunner();
    expect(await installService({ configFile, dryRun: true }, deps(run))).toBe(0);
    expect(out).toContain(`ExecStart=/usr/bin/node /opt/dirsync/dist/src/cli/main.js start --config ${configFile}`);
    const etc = path.join(dir, 'etc');
    expect(out).toContain(`ReadWritePaths=${etc}/logs ${etc}/reports ${etc}/state\n`);
    expect(out).toContain('User=dirsync');
    expect(out).toContain(`EnvironmentFile=-${path.join(dir, 'etc', 'dirsync.env')}`);
    expect(notes).toContain('systemctl enable --now dirsync.service');
    // The env file hint names exactly the variables the config references.
    expect(notes).toContain('  DIRSYNC_BIND_PASSWORD=...\n  DIRSYNC_HOOK_URL=...\n  DIRSYNC_SCIM_TOKEN=...');
    expect(run.calls).toEqual([]);
    expect(existsSync(unitFile())).toBe(false);
    expect(existsSync(path.join(dir, 'etc', 'state'))).toBe(false);
  });

  it('lists the state, report and log folders as writable (nested ones once)', async () => {
    writeFileSync(configFile, CONFIG.replace('logging: { file: { dir: logs } }', 'logging: { file: { dir: /var/log/dirsync } }'));
    await installService({ configFile, dryRun: true }, deps(fakeRunner()));
    expect(out).toContain(
      `ReadWritePaths=${path.join(dir, 'etc', 'reports')} ${path.join(dir, 'etc', 'state')} /var/log/dirsync\n`,
    );
  });

  it('installs: checks the user, creates the folders, writes the unit, reloads, enables and starts', async () => {
    const run = fakeRunner({
      'id -u dirsync': { stdout: `${process.getuid?.() ?? 0}\n` },
      'systemctl is-active dirsync.service': { stdout: 'active\n' },
    });
    expect(await installService({ configFile }, deps(run))).toBe(0);
    const unit = readFileSync(unitFile(), 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/node /opt/dirsync/dist/src/cli/main.js start --config');
    expect(run.calls).toEqual([
      'id -u dirsync',
      `chown dirsync: ${path.join(dir, 'etc', 'logs')}`,
      `chown dirsync: ${path.join(dir, 'etc', 'reports')}`,
      `chown dirsync: ${path.join(dir, 'etc', 'state')}`,
      'systemctl --version',
      'systemctl daemon-reload',
      'systemctl enable --now dirsync.service',
      'systemctl is-active dirsync.service',
    ]);
    expect(out).toBe(`dirsync.service installed (${unitFile()}), enabled, active\n`);
    expect(existsSync(path.join(dir, 'etc', 'state'))).toBe(true);

    // Installing again with a changed unit restarts the running service onto it.
    run.calls.length = 0;
    await installService({ configFile, user: 'svc-sync' }, deps(run));
    expect(run.calls).toContain('systemctl try-restart dirsync.service');
    expect(readFileSync(unitFile(), 'utf8')).toContain('User=svc-sync');
  });

  it('refuses a user that does not exist, with the useradd line, before writing anything', async () => {
    const run = fakeRunner({ 'id -u ghost': { code: 1, stderr: 'id: ghost: no such user' } });
    await expect(installService({ configFile, user: 'ghost' }, deps(run))).rejects.toMatchObject({
      code: 'SERVICE_INVALID',
      message: expect.stringContaining('useradd --system'),
    });
    expect(existsSync(unitFile())).toBe(false);
  });

  it('writes the unit but says clearly when systemd is not running (containers, this sandbox)', async () => {
    const run = fakeRunner({ 'id -u dirsync': { stdout: '999\n' } });
    await expect(installService({ configFile }, deps(run, { systemdBooted: () => false }))).rejects.toMatchObject({
      code: 'SERVICE_MANAGER_UNAVAILABLE',
      message: expect.stringContaining('systemd is not running on this machine'),
    });
    expect(existsSync(unitFile())).toBe(true);
    expect(run.calls.some((c) => c.startsWith('systemctl'))).toBe(false);
  });

  it('says when systemctl itself is missing', async () => {
    const run = fakeRunner({ 'id -u dirsync': { stdout: '999\n' }, 'systemctl --version': { code: 127, notFound: true } });
    await expect(installService({ configFile }, deps(run))).rejects.toMatchObject({
      code: 'SERVICE_MANAGER_UNAVAILABLE',
      message: expect.stringContaining('systemctl is not installed'),
    });
  });

  it('turns a failing systemctl into SERVICE_COMMAND with its message', async () => {
    const run = fakeRunner({
      'id -u dirsync': { stdout: '999\n' },
      'systemctl enable --now dirsync.service': { code: 1, stderr: 'Failed to enable unit: Access denied' },
    });
    await expect(installService({ configFile }, deps(run))).rejects.toMatchObject({
      code: 'SERVICE_COMMAND',
      message: expect.stringContaining('Access denied'),
    });
  });

  it('tells to run as root when /etc/systemd/system is not writable', async () => {
    const files: FileOps = {
      ...defaultServiceDeps(fakeRunner()).files,
      write: () => {
        throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      },
    };
    const run = fakeRunner({ 'id -u dirsync': { stdout: '999\n' } });
    await expect(installService({ configFile }, deps(run, { files }))).rejects.toMatchObject({
      code: 'SERVICE_WRITE',
      message: expect.stringContaining('run it as root'),
    });
  });

  it('warns when a state database made by hand belongs to someone else', async () => {
    mkdirSync(path.join(dir, 'etc', 'state'));
    writeFileSync(path.join(dir, 'etc', 'state', 'dirsync.db'), '');
    const run = fakeRunner({ 'id -u dirsync': { stdout: '4242\n' } });
    await installService({ configFile }, deps(run));
    expect(notes).toContain(`warning: ${path.join(dir, 'etc', 'state', 'dirsync.db')} is not owned by dirsync`);
  });

  it('uninstalls: disable --now, remove, reload; and is a no-op when not installed', async () => {
    writeFileSync(unitFile(), '[Unit]\n');
    const run = fakeRunner();
    expect(await uninstallService({ configFile, dryRun: true }, deps(run))).toBe(0);
    expect(existsSync(unitFile())).toBe(true);
    expect(notes).toContain('systemctl disable --now dirsync.service');
    expect(await uninstallService({ configFile }, deps(run))).toBe(0);
    expect(run.calls).toEqual(['systemctl --version', 'systemctl disable --now dirsync.service', 'systemctl daemon-reload']);
    expect(existsSync(unitFile())).toBe(false);
    out = '';
    await uninstallService({ configFile }, deps(run));
    expect(out).toContain('is not installed');
  });

  it('status reports installed/enabled/active, as text and JSON', async () => {
    writeFileSync(unitFile(), '[Unit]\n');
    const run = fakeRunner({
      'systemctl is-enabled dirsync.service': { stdout: 'enabled\n' },
      'systemctl is-active dirsync.service': { code: 3, stdout: 'inactive\n' },
    });
    expect(await serviceStatus({ configFile }, deps(run))).toBe(0);
    expect(out).toBe(`service: installed (${unitFile()})\nenabled: enabled\nactive:  inactive\n`);
    out = '';
    await serviceStatus({ configFile, json: true }, deps(run, { systemdBooted: () => false }));
    expect(JSON.parse(out)).toEqual({
      installed: true,
      file: unitFile(),
      enabled: null,
      active: null,
      note: 'systemd is not running on this machine (no /run/systemd/system)',
    });
  });

  it('is wired into the CLI: dirsync -c FILE service install --dry-run --user U', async () => {
    const program = new Command('dirsync').option('-c, --config <file>').exitOverride();
    let code: number | undefined;
    registerServiceCommand(
      program,
      async (fn) => {
        code = await fn();
      },
      deps(fakeRunner()),
    );
    await program.parseAsync(['node', 'dirsync', '-c', configFile, 'service', 'install', '--dry-run', '--user', 'sync']);
    expect(code).toBe(0);
    expect(out).toContain('User=sync');
    expect(out).toContain(`--config ${configFile}`);
  });
});

describe('dirsync service (Windows, WinSW)', () => {
  // Parsed on Linux, so the Windows paths are set after parsing (parseConfig resolves with the host's path).
  const parsed = parseConfig(
    {
      directory: {
        url: 'ldaps://dc1.example.org:636',
        bindDn: 'cn=svc',
        bindPassword: 'file:bind.txt',
        users: { baseDns: ['ou=people'] },
        groups: [{ dn: 'cn=staff', role: 'User', userType: 'Viewer' }],
      },
      target: { url: 'https://api.example.com/scim/v2', token: 'file:token.txt' },
    },
    '/unused',
  );
  const config = {
    ...parsed,
    state: { path: 'C:\\ProgramData\\dirsync\\state\\dirsync.db' },
    reports: { ...parsed.reports, dir: 'C:\\ProgramData\\dirsync\\reports' },
  };
  let written: Map<string, string>;
  let out: string;
  let notes: string;

  function winDeps(existing: string[] = []): ServiceDeps {
    const files: FileOps = {
      exists: (f) => existing.includes(f) || written.has(f),
      read: (f) => written.get(f),
      write: (f, t) => void written.set(f, t),
      remove: (f) => void written.delete(f),
      mkdir: (d) => void written.set(d, '<dir>'),
      owner: () => undefined,
    };
    return {
      platform: 'win32',
      run: fakeRunner({
        'sc.exe query dirsync': { stdout: 'SERVICE_NAME: dirsync\r\n        STATE              : 4  RUNNING\r\n' },
      }),
      files,
      out: (t) => (out += t),
      note: (t) => (notes += `${t}\n`),
      unitDir: '/nonexistent',
      systemdBooted: () => false,
      nodePath: 'C:\\Program Files\\nodejs\\node.exe',
      mainJs: 'C:\\dirsync\\dist\\src\\cli\\main.js',
      readConfig: () => config,
    };
  }

  beforeEach(() => {
    written = new Map();
    out = '';
    notes = '';
  });

  const configFile = 'C:\\ProgramData\\dirsync\\connector.yaml';

  it('--dry-run prints the XML and the numbered steps', async () => {
    expect(await installService({ configFile, dryRun: true }, winDeps())).toBe(0);
    expect(out).toContain('<executable>C:\\Program Files\\nodejs\\node.exe</executable>');
    expect(notes).toContain('An install writes C:\\dirsync\\dirsync-service.xml');
    expect(notes).toContain('1. icacls "C:\\ProgramData\\dirsync" /grant "NT AUTHORITY\\LocalService:(OI)(CI)RX"');
    expect(notes).toContain('& "C:\\dirsync\\dirsync-service.exe" install');
    expect(written.size).toBe(0);
  });

  it('needs the WinSW exe first, then writes the XML next to it and prints the steps', async () => {
    await expect(installService({ configFile }, winDeps())).rejects.toMatchObject({
      code: 'SERVICE_INVALID',
      message: expect.stringContaining('https://github.com/winsw/winsw/releases/download/v2.12.0/WinSW-x64.exe'),
    });
    expect(await installService({ configFile }, winDeps(['C:\\dirsync\\dirsync-service.exe']))).toBe(0);
    expect(written.get('C:\\dirsync\\dirsync-service.xml')).toContain('<id>dirsync</id>');
    expect(out).toContain('& "C:\\dirsync\\dirsync-service.exe" start');
  });

  it('status asks sc.exe; uninstall prints stop and uninstall', async () => {
    await serviceStatus({ configFile, json: true }, winDeps());
    expect(JSON.parse(out)).toMatchObject({ installed: true, active: 'running' });
    out = '';
    await uninstallService({ configFile, winsw: 'D:\\svc\\dirsync.exe' }, winDeps());
    expect(out).toContain('1. & "D:\\svc\\dirsync.exe" stop\n  2. & "D:\\svc\\dirsync.exe" uninstall');
  });
});
