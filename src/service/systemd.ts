import path from 'node:path';
import { ServiceError } from './runner';

export const SYSTEMD_UNIT_NAME = 'dirsync.service';
export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';

export interface SystemdUnitOptions {
  /** Absolute path of the node binary (process.execPath of the installer). */
  readonly nodePath: string;
  /** Absolute path of dist/src/cli/main.js. */
  readonly mainJs: string;
  /** Absolute path of the config file. */
  readonly configFile: string;
  /** The account the daemon runs as; never root. */
  readonly user: string;
  readonly workingDirectory: string;
  /** KEY=value lines with the secrets (DIRSYNC_BIND_PASSWORD=...), read by systemd as root. */
  readonly environmentFile: string;
  /** Folders the daemon writes: the state database's, the reports', the logs'. */
  readonly readWritePaths: readonly string[];
}

/** Home folders are hidden by ProtectHome=yes; an install that lives there gets read-only instead. */
const HOME_PREFIXES = ['/home/', '/root/', '/run/user/'];

/** What systemd reads as a plain path in a unit: no quotes, backslashes or control characters. */
const SAFE_PATH = /^\/[A-Za-z0-9._/@+,:=~%$ -]*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/i;

export function checkUser(user: string): void {
  if (!USER_NAME.test(user)) throw new ServiceError('SERVICE_INVALID', `--user ${JSON.stringify(user)}: not a valid user name`);
  // nobody owns files of every service that uses it; systemd warns about it for the same reason.
  if (user === 'root' || user === 'nobody') {
    throw new ServiceError('SERVICE_INVALID', `--user ${user}: run dirsync as a dedicated account (useradd --system dirsync)`);
  }
}

function checkPath(value: string, what: string): string {
  if (!path.isAbsolute(value) || !SAFE_PATH.test(value)) {
    throw new ServiceError(
      'SERVICE_INVALID',
      `${what} ${JSON.stringify(value)}: must be an absolute path without quotes, backslashes or control characters`,
    );
  }
  return path.normalize(value);
}

/** `%` starts a systemd specifier everywhere in a unit; `$` expands a variable in Exec lines. */
function unitValue(value: string): string {
  return value.replace(/%/g, '%%');
}

function execWord(value: string): string {
  const escaped = unitValue(value).replace(/\$/g, '$$$$');
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

function pathListWord(value: string): string {
  const escaped = unitValue(value);
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

/** Folders nested in another listed folder add nothing; sorted, so the unit is the same every time. */
export function collapsePaths(paths: readonly string[]): string[] {
  const unique = [...new Set(paths.map((p) => path.normalize(p).replace(/\/+$/, '') || '/'))].sort();
  return unique.filter((p) => !unique.some((q) => q !== p && (q === '/' || p.startsWith(`${q}/`))));
}

/**
 * The dirsync.service unit. Hardened as far as it goes without breaking node: the whole file
 * system read-only but the daemon's own folders, no privileges, no devices, a private /tmp.
 * MemoryDenyWriteExecute is left out on purpose: V8's JIT needs writable executable memory.
 * SystemCallFilter and ProcSubset=pid are left out too: libuv's io_uring and os.cpus()/totalmem()
 * need what they would take away, and a unit that fails at 3 a.m. is worse than a stricter score.
 */
export function renderSystemdUnit(o: SystemdUnitOptions): string {
  checkUser(o.user);
  const nodePath = checkPath(o.nodePath, 'node binary');
  const mainJs = checkPath(o.mainJs, 'dirsync main.js');
  const configFile = checkPath(o.configFile, 'config file');
  const workingDirectory = checkPath(o.workingDirectory, 'working directory');
  const environmentFile = checkPath(o.environmentFile, 'environment file');
  const writable = collapsePaths(o.readWritePaths.map((p) => checkPath(p, 'writable folder')));
  if (writable.length === 0) throw new ServiceError('SERVICE_INVALID', 'no writable folder: the state database needs one');
  const everything = [nodePath, mainJs, configFile, workingDirectory, environmentFile, ...writable];
  const inHome = everything.some((p) => HOME_PREFIXES.some((h) => `${p}/`.startsWith(h)));
  const exec = [nodePath, mainJs, 'start', '--config', configFile].map(execWord).join(' ');
  return `# Written by \`dirsync service install\`. Re-run it after moving dirsync or its config, rather than editing this file.
[Unit]
Description=dirsync: directory groups to SCIM provisioning
Wants=network-online.target
After=network-online.target
# A config that keeps failing at start-up must not restart forever.
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=simple
User=${o.user}
WorkingDirectory=${unitValue(workingDirectory)}
# Secrets (DIRSYNC_BIND_PASSWORD=..., DIRSYNC_SCIM_TOKEN=...), mode 0600, owned by root. "-": optional.
EnvironmentFile=-${unitValue(environmentFile)}
Environment=NODE_ENV=production
ExecStart=${exec}
Restart=on-failure
RestartSec=30s
# Exit code 2 is a configuration error: restarting cannot fix it.
RestartPreventExitStatus=2
# SIGTERM lets the run finish the operation in flight and record it.
KillSignal=SIGTERM
TimeoutStopSec=120s
UMask=0077

# Hardening that node and dirsync work with.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${writable.map(pathListWord).join(' ')}
ProtectHome=${inHome ? 'read-only' : 'yes'}
PrivateTmp=yes
PrivateDevices=yes
PrivateMounts=yes
ProtectProc=invisible
RemoveIPC=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
CapabilityBoundingSet=
AmbientCapabilities=

[Install]
WantedBy=multi-user.target
`;
}
