import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collapsePaths, renderSystemdUnit, type SystemdUnitOptions } from '../../../src/service/systemd';

const REPO = path.resolve(__dirname, '../../..');

function options(over: Partial<SystemdUnitOptions> = {}): SystemdUnitOptions {
  return {
    nodePath: process.execPath,
    mainJs: '/opt/dirsync/dist/src/cli/main.js',
    configFile: '/etc/dirsync/connector.yaml',
    user: 'dirsync',
    workingDirectory: '/opt/dirsync',
    environmentFile: '/etc/dirsync/dirsync.env',
    readWritePaths: ['/var/lib/dirsync', '/var/lib/dirsync/reports', '/var/log/dirsync'],
    ...over,
  };
}

/** The [Section] -> key -> values map of a unit, as systemd reads it (comments dropped). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header?.[1]) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv?.[1] || kv[2] === undefined || !current) throw new Error(`not a unit line: ${line}`);
    current.set(kv[1], [...(current.get(kv[1]) ?? []), kv[2]]);
  }
  return sections;
}

function one(unit: Map<string, Map<string, string[]>>, section: string, key: string): string | undefined {
  const values = unit.get(section)?.get(key);
  if (values && values.length !== 1) throw new Error(`${section}.${key} set ${values.length} times`);
  return values?.[0];
}

function systemdAnalyze(): string | undefined {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return r.error ? undefined : r.stdout.split('\n')[0];
}

describe('renderSystemdUnit', () => {
  it('starts dirsync with node and the absolute config, as the given user, restarted on failure', () => {
    const unit = parseUnit(renderSystemdUnit(options()));
    expect(one(unit, 'Service', 'ExecStart')).toBe(
      `${process.execPath} /opt/dirsync/dist/src/cli/main.js start --config /etc/dirsync/connector.yaml`,
    );
    expect(one(unit, 'Service', 'User')).toBe('dirsync');
    expect(one(unit, 'Service', 'WorkingDirectory')).toBe('/opt/dirsync');
    expect(one(unit, 'Service', 'Restart')).toBe('on-failure');
    expect(one(unit, 'Service', 'RestartPreventExitStatus')).toBe('2');
    expect(one(unit, 'Service', 'EnvironmentFile')).toBe('-/etc/dirsync/dirsync.env');
    expect(one(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    expect(one(unit, 'Unit', 'After')).toBe('network-online.target');
  });

  it('is hardened: read-only system but the daemon folders, no privileges, private /tmp, no W^X (node JIT)', () => {
    const text = renderSystemdUnit(options());
    const unit = parseUnit(text);
    expect(one(unit, 'Service', 'NoNewPrivileges')).toBe('yes');
    expect(one(unit, 'Service', 'ProtectSystem')).toBe('strict');
    // The reports folder sits inside the state folder: listed once.
    expect(one(unit, 'Service', 'ReadWritePaths')).toBe('/var/lib/dirsync /var/log/dirsync');
    expect(one(unit, 'Service', 'PrivateTmp')).toBe('yes');
    expect(one(unit, 'Service', 'ProtectHome')).toBe('yes');
    expect(one(unit, 'Service', 'CapabilityBoundingSet')).toBe('');
    expect(unit.get('Service')?.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('uses ProtectHome=read-only when node or dirsync live under a home folder', () => {
    const unit = parseUnit(renderSystemdUnit(options({ nodePath: '/root/.nvm/versions/node/v20/bin/node' })));
    expect(one(unit, 'Service', 'ProtectHome')).toBe('read-only');
  });

  it('quotes paths with spaces and escapes systemd specifiers and variables', () => {
    const text = renderSystemdUnit(
      options({
        configFile: '/etc/dirsync/my config%1.yaml',
        readWritePaths: ['/srv/dir sync/state'],
        mainJs: '/opt/d$x/main.js',
      }),
    );
    const unit = parseUnit(text);
    expect(one(unit, 'Service', 'ExecStart')).toBe(
      `${process.execPath} /opt/d$$x/main.js start --config "/etc/dirsync/my config%%1.yaml"`,
    );
    expect(one(unit, 'Service', 'ReadWritePaths')).toBe('"/srv/dir sync/state"');
  });

  it('refuses root, odd user names, relative paths and characters a unit cannot carry', () => {
    expect(() => renderSystemdUnit(options({ user: 'root' }))).toThrow(expect.objectContaining({ code: 'SERVICE_INVALID' }));
    expect(() => renderSystemdUnit(options({ user: 'nobody' }))).toThrow(/dedicated account/);
    expect(() => renderSystemdUnit(options({ user: 'a b' }))).toThrow(/not a valid user name/);
    expect(() => renderSystemdUnit(options({ configFile: 'connector.yaml' }))).toThrow(/absolute path/);
    expect(() => renderSystemdUnit(options({ configFile: '/etc/x\nExecStartPre=/bin/sh' }))).toThrow(/absolute path/);
    expect(() => renderSystemdUnit(options({ readWritePaths: [] }))).toThrow(/no writable folder/);
  });

  it('collapses nested writable folders and sorts them', () => {
    expect(collapsePaths(['/var/lib/dirsync/reports', '/var/log/dirsync', '/var/lib/dirsync/', '/var/lib/dirsync'])).toEqual([
      '/var/lib/dirsync',
      '/var/log/dirsync',
    ]);
    expect(collapsePaths(['/var/lib/dirsync2', '/var/lib/dirsync'])).toEqual(['/var/lib/dirsync', '/var/lib/dirsync2']);
  });
});

describe('systemd-analyze verify', () => {
  let dir: string;
  const analyze = systemdAnalyze();

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dirsync-unit-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function verify(text: string): { code: number | null; output: string } {
    const file = path.join(dir, 'dirsync.service');
    writeFileSync(file, text);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  it('is installed (scripts/servers.sh up installs the systemd package)', () => {
    expect(analyze).toMatch(/^systemd \d+/);
  });

  it('accepts the rendered unit without a single warning', () => {
    if (!analyze)
      throw new Error('systemd-analyze is missing: run `bash scripts/servers.sh up` (it installs the systemd package)');
    const unit = renderSystemdUnit(
      options({
        mainJs: path.join(REPO, 'dist/src/cli/main.js'),
        workingDirectory: REPO,
        readWritePaths: [path.join(dir, 'state')],
      }),
    );
    expect(verify(unit)).toEqual({ code: 0, output: '' });
  });

  it('does report a broken unit (so the check above can fail)', () => {
    if (!analyze) throw new Error('systemd-analyze is missing');
    const broken = renderSystemdUnit(options())
      .replace('PrivateTmp=yes', 'PrivateTmpp=yes')
      .replace(`ExecStart=${process.execPath}`, 'ExecStart=/nonexistent/node');
    const r = verify(broken);
    expect(r.output).toContain("Unknown key 'PrivateTmpp'");
    expect(r.output).toContain('/nonexistent/node is not executable');
    expect(r.code).not.toBe(0);
  });

  it('rates the hardening at least "OK" in systemd-analyze security', () => {
    if (!analyze) throw new Error('systemd-analyze is missing');
    const file = path.join(dir, 'dirsync.service');
    writeFileSync(file, renderSystemdUnit(options({ readWritePaths: [path.join(dir, 'state')] })));
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const exposure = /Overall exposure level for dirsync\.service: ([\d.]+)/.exec(out)?.[1];
    expect(Number(exposure)).toBeLessThanOrEqual(4.9);
  });
});
