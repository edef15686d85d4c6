import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, readConfigFile } from '../config/load';
import type { Config } from '../config/schema';
import { errorMessage } from '../errors/codes';
import { envReferences, writableFolders } from './paths';
import { ServiceError, type CommandRunner } from './runner';
import { collapsePaths, renderSystemdUnit, SYSTEMD_UNIT_DIR, SYSTEMD_UNIT_NAME } from './systemd';
import {
  renderWinswXml,
  WINDOWS_SERVICE_ID,
  windowsAccount,
  windowsInstallSteps,
  windowsUninstallSteps,
  WINSW_DOWNLOAD,
  WINSW_VERSION,
  winswXmlPath,
} from './windows';

/** The file system as the service commands use it; tests swap it for a map. */
export interface FileOps {
  exists(file: string): boolean;
  read(file: string): string | undefined;
  /** Atomic: a temporary file renamed over the target. */
  write(file: string, text: string, mode: number): void;
  remove(file: string): void;
  mkdir(dir: string): void;
  /** Owner uid, undefined when the file does not exist. */
  owner(file: string): number | undefined;
}

export const realFiles: FileOps = {
  exists: (file) => existsSync(file),
  read: (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  write: (file, text, mode) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, file);
  },
  remove: (file) => rmSync(file, { force: true }),
  mkdir: (dir) => mkdirSync(dir, { recursive: true, mode: 0o750 }),
  owner: (file) => {
    try {
      return statSync(file).uid;
    } catch {
      return undefined;
    }
  },
};

export interface ServiceDeps {
  readonly platform: NodeJS.Platform;
  readonly run: CommandRunner;
  readonly files: FileOps;
  /** The command's output (the unit or XML in a dry run, the final state). */
  readonly out: (text: string) => void;
  /** What the admin should know or do (stderr). */
  readonly note: (text: string) => void;
  /** Where the unit goes: /etc/systemd/system. */
  readonly unitDir: string;
  /** True on a machine booted with systemd (sd_booted(): /run/systemd/system exists). */
  readonly systemdBooted: () => boolean;
  readonly nodePath: string;
  /** dist/src/cli/main.js of this installation. */
  readonly mainJs: string;
  /** Validated config with absolute paths; secrets stay unresolved (the service's env file has them). */
  readonly readConfig: (file: string) => Config;
}

export function defaultServiceDeps(run: CommandRunner): Omit<ServiceDeps, 'out' | 'note'> {
  return {
    platform: process.platform,
    run,
    files: realFiles,
    unitDir: SYSTEMD_UNIT_DIR,
    systemdBooted: () => existsSync('/run/systemd/system'),
    nodePath: process.execPath,
    // dist/src/service/../cli/main.js: this very installation of dirsync.
    mainJs: path.resolve(__dirname, '../cli/main.js'),
    readConfig: (file) => {
      const { raw, baseDir } = readConfigFile(file);
      return parseConfig(raw, baseDir, file);
    },
  };
}

export interface ServiceOptions {
  /** Absolute path of the config file the service runs with. */
  readonly configFile: string;
  readonly user?: string;
  readonly dryRun?: boolean;
  /** Linux: the EnvironmentFile with the secrets. Default: dirsync.env next to the config. */
  readonly envFile?: string;
  /** Windows: the renamed WinSW exe. Default: dirsync-service.exe in dirsync's folder. */
  readonly winsw?: string;
  readonly json?: boolean;
}

const SYSTEMCTL = 'systemctl';

function unitPath(deps: ServiceDeps): string {
  return path.posix.join(deps.unitDir, SYSTEMD_UNIT_NAME);
}

/** dist/src/cli/main.js -> the folder dirsync is installed in. */
function installRoot(mainJs: string, p: path.PlatformPath): string {
  return p.resolve(p.dirname(mainJs), '..', '..', '..');
}

async function systemctl(deps: ServiceDeps, args: readonly string[]): Promise<string> {
  const r = await deps.run(SYSTEMCTL, args);
  if (r.code !== 0) {
    throw new ServiceError(
      'SERVICE_COMMAND',
      `systemctl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r.stdout.trim();
}

/** systemd can be asked only when it runs this machine; a container or WSL without it cannot. */
async function systemdAvailable(deps: ServiceDeps): Promise<{ ok: true } | { ok: false; why: string }> {
  if (!deps.systemdBooted()) return { ok: false, why: 'systemd is not running on this machine (no /run/systemd/system)' };
  const r = await deps.run(SYSTEMCTL, ['--version']);
  if (r.notFound) return { ok: false, why: 'systemctl is not installed' };
  return { ok: true };
}

function linuxUnit(
  options: ServiceOptions,
  deps: ServiceDeps,
  config: Config,
): { unit: string; user: string; writable: string[] } {
  const user = options.user ?? 'dirsync';
  const writable = collapsePaths(writableFolders(config, path.posix));
  const unit = renderSystemdUnit({
    nodePath: deps.nodePath,
    mainJs: deps.mainJs,
    configFile: options.configFile,
    user,
    workingDirectory: installRoot(deps.mainJs, path.posix),
    environmentFile: envFileOf(options),
    readWritePaths: writable,
  });
  return { unit, user, writable };
}

function envFileOf(options: ServiceOptions): string {
  return options.envFile ?? path.posix.join(path.posix.dirname(options.configFile), 'dirsync.env');
}

function envFileHint(options: ServiceOptions, config: Config): string {
  const names = envReferences(config);
  const lines = names.length > 0 ? names.map((n) => `  ${n}=...`).join('\n') : '  (the config references no ${env:...} secret)';
  return `The secrets go into ${envFileOf(options)} (owned by root, mode 0600), one KEY=value per line:\n${lines}`;
}

export async function installService(options: ServiceOptions, deps: ServiceDeps): Promise<number> {
  const config = deps.readConfig(options.configFile);
  if (deps.platform === 'win32') return installWindows(options, deps, config);
  const { unit, user, writable } = linuxUnit(options, deps, config);
  const target = unitPath(deps);
  const commands = [`${SYSTEMCTL} daemon-reload`, `${SYSTEMCTL} enable --now ${SYSTEMD_UNIT_NAME}`];
  if (options.dryRun) {
    deps.out(unit);
    deps.note(
      `dry run: nothing written. An install writes ${target}, creates missing folders (${writable.join(', ')}) owned by ${user}, then runs:\n${commands.map((c) => `  ${c}`).join('\n')}`,
    );
    if (!deps.files.exists(envFileOf(options))) deps.note(envFileHint(options, config));
    return 0;
  }

  const uid = await deps.run('id', ['-u', user]);
  if (uid.code !== 0) {
    throw new ServiceError(
      'SERVICE_INVALID',
      `user ${user} does not exist. Create it first: useradd --system --no-create-home --shell /usr/sbin/nologin ${user}`,
    );
  }
  const userId = Number.parseInt(uid.stdout.trim(), 10);
  for (const dir of writable) {
    if (deps.files.exists(dir)) continue;
    deps.files.mkdir(dir);
    const chown = await deps.run('chown', [`${user}:`, dir]);
    if (chown.code !== 0) throw new ServiceError('SERVICE_COMMAND', `chown ${user}: ${dir} failed: ${chown.stderr.trim()}`);
    deps.note(`created ${dir} (owner ${user})`);
  }
  // A state database made by a manual `dirsync sync` as root would stop the daemon at its first run.
  for (const file of [config.state.path, ...writable]) {
    const owner = deps.files.owner(file);
    if (owner !== undefined && Number.isFinite(userId) && owner !== userId) {
      deps.note(`warning: ${file} is not owned by ${user}; the service may not write it. Fix: chown -R ${user}: ${file}`);
    }
  }

  const previous = deps.files.read(target);
  try {
    deps.files.write(target, unit, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' || code === 'EPERM' ? ': run it as root (sudo dirsync service install ...)' : '';
    throw new ServiceError('SERVICE_WRITE', `cannot write ${target} (${code ?? errorMessage(err)})${hint}`);
  }
  deps.note(`wrote ${target}`);
  if (!deps.files.exists(envFileOf(options))) deps.note(envFileHint(options, config));

  const available = await systemdAvailable(deps);
  if (!available.ok) {
    throw new ServiceError(
      'SERVICE_MANAGER_UNAVAILABLE',
      `${available.why}: the unit was written but not enabled. On a machine booted with systemd run: ${commands.join(' && ')}`,
    );
  }
  await systemctl(deps, ['daemon-reload']);
  await systemctl(deps, ['enable', '--now', SYSTEMD_UNIT_NAME]);
  // enable --now leaves a running service on its old unit: restart it onto the new one.
  if (previous !== undefined && previous !== unit) await systemctl(deps, ['try-restart', SYSTEMD_UNIT_NAME]);
  const state = await activeState(deps);
  deps.out(`${SYSTEMD_UNIT_NAME} installed (${target}), enabled, ${state}\n`);
  if (state !== 'active') deps.note(`see why: journalctl -u ${SYSTEMD_UNIT_NAME} -n 50`);
  return 0;
}

async function activeState(deps: ServiceDeps): Promise<string> {
  // is-active exits non-zero for anything but "active"; its stdout is the state either way.
  const r = await deps.run(SYSTEMCTL, ['is-active', SYSTEMD_UNIT_NAME]);
  return r.stdout.trim() || 'unknown';
}

export async function uninstallService(options: ServiceOptions, deps: ServiceDeps): Promise<number> {
  if (deps.platform === 'win32') return uninstallWindows(options, deps);
  const target = unitPath(deps);
  if (!deps.files.exists(target)) {
    deps.out(`${SYSTEMD_UNIT_NAME} is not installed (no ${target})\n`);
    return 0;
  }
  const commands = [`${SYSTEMCTL} disable --now ${SYSTEMD_UNIT_NAME}`, `rm ${target}`, `${SYSTEMCTL} daemon-reload`];
  if (options.dryRun) {
    deps.note(`dry run: nothing changed. An uninstall runs:\n${commands.map((c) => `  ${c}`).join('\n')}`);
    return 0;
  }
  const available = await systemdAvailable(deps);
  if (available.ok) await systemctl(deps, ['disable', '--now', SYSTEMD_UNIT_NAME]);
  try {
    deps.files.remove(target);
  } catch (err) {
    throw new ServiceError('SERVICE_WRITE', `cannot remove ${target} (${errorMessage(err)}): run it as root`);
  }
  if (available.ok) await systemctl(deps, ['daemon-reload']);
  else deps.note(`${available.why}: removed ${target} only`);
  deps.out(`${SYSTEMD_UNIT_NAME} uninstalled. The config, state database, reports and logs are kept.\n`);
  return 0;
}

export interface ServiceStatus {
  readonly installed: boolean;
  readonly file: string;
  /** enabled/disabled/..., or null when the service manager cannot be asked. */
  readonly enabled: string | null;
  readonly active: string | null;
  readonly note?: string;
}

export async function serviceStatus(options: ServiceOptions, deps: ServiceDeps): Promise<number> {
  const status = deps.platform === 'win32' ? await windowsStatus(options, deps) : await linuxStatus(deps);
  if (options.json) {
    deps.out(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `service: ${status.installed ? 'installed' : 'not installed'} (${status.file})`,
    `enabled: ${status.enabled ?? 'unknown'}`,
    `active:  ${status.active ?? 'unknown'}`,
  ];
  deps.out(`${lines.join('\n')}\n`);
  if (status.note) deps.note(status.note);
  return 0;
}

async function linuxStatus(deps: ServiceDeps): Promise<ServiceStatus> {
  const file = unitPath(deps);
  const installed = deps.files.exists(file);
  const available = await systemdAvailable(deps);
  if (!available.ok) return { installed, file, enabled: null, active: null, note: available.why };
  const enabled = (await deps.run(SYSTEMCTL, ['is-enabled', SYSTEMD_UNIT_NAME])).stdout.trim() || 'unknown';
  return { installed, file, enabled, active: await activeState(deps) };
}

function winswExeOf(options: ServiceOptions, deps: ServiceDeps): string {
  return options.winsw ?? path.win32.join(installRoot(deps.mainJs, path.win32), 'dirsync-service.exe');
}

function installWindows(options: ServiceOptions, deps: ServiceDeps, config: Config): number {
  const w = path.win32;
  const exe = winswExeOf(options, deps);
  const xmlFile = winswXmlPath(exe);
  const account = windowsAccount(options.user);
  const writable = writableFolders(config, w);
  const xml = renderWinswXml({
    nodePath: deps.nodePath,
    mainJs: deps.mainJs,
    configFile: options.configFile,
    workingDirectory: installRoot(deps.mainJs, w),
    logPath: w.join(w.dirname(exe), 'logs'),
    account,
  });
  const steps = windowsInstallSteps({
    winswExe: exe,
    account,
    writablePaths: writable,
    readPaths: [w.dirname(options.configFile)],
  });
  const numbered = steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n');
  if (options.dryRun) {
    deps.out(xml);
    deps.note(`dry run: nothing written. An install writes ${xmlFile}; then, in an elevated PowerShell:\n${numbered}`);
    return 0;
  }
  if (!deps.files.exists(exe)) {
    throw new ServiceError(
      'SERVICE_INVALID',
      `${exe} not found: download WinSW ${WINSW_VERSION} (${WINSW_DOWNLOAD}), save it as ${exe}, then run this again (or give --winsw <path>)`,
    );
  }
  for (const dir of writable) if (!deps.files.exists(dir)) deps.files.mkdir(dir);
  try {
    deps.files.write(xmlFile, xml, 0o644);
  } catch (err) {
    throw new ServiceError('SERVICE_WRITE', `cannot write ${xmlFile} (${errorMessage(err)}): run it as Administrator`);
  }
  deps.out(`wrote ${xmlFile}\nNow, in an elevated PowerShell:\n${numbered}\n`);
  return 0;
}

function uninstallWindows(options: ServiceOptions, deps: ServiceDeps): number {
  const exe = winswExeOf(options, deps);
  const steps = windowsUninstallSteps(exe)
    .map((s, i) => `  ${i + 1}. ${s}`)
    .join('\n');
  deps.out(
    `In an elevated PowerShell:\n${steps}\nThen delete ${winswXmlPath(exe)} if you wish. The config, state and reports are kept.\n`,
  );
  return 0;
}

async function windowsStatus(options: ServiceOptions, deps: ServiceDeps): Promise<ServiceStatus> {
  const file = winswXmlPath(winswExeOf(options, deps));
  const r = await deps.run('sc.exe', ['query', WINDOWS_SERVICE_ID]);
  if (r.notFound) return { installed: false, file, enabled: null, active: null, note: 'sc.exe not found' };
  // sc.exe exits 1060 (ERROR_SERVICE_DOES_NOT_EXIST) for a service that is not installed.
  if (r.code === 1060 || /1060/.test(r.stdout)) return { installed: false, file, enabled: null, active: null };
  const state = /STATE\s*:\s*\d+\s+(\w+)/.exec(r.stdout)?.[1]?.toLowerCase() ?? null;
  return { installed: true, file, enabled: null, active: state };
}
