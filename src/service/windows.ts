import path from 'node:path';
import { ServiceError } from './runner';

export const WINDOWS_SERVICE_ID = 'dirsync';
/** The WinSW release the XML is written for (its schema differs from the 3.x previews). */
export const WINSW_VERSION = '2.12.0';
export const WINSW_DOWNLOAD = `https://github.com/winsw/winsw/releases/download/v${WINSW_VERSION}/WinSW-x64.exe`;

const win = path.win32;

/** Who the service runs as. LocalService by default: no password, no admin rights. */
export type WindowsAccount =
  | { readonly kind: 'builtin'; readonly domain: 'NT AUTHORITY'; readonly user: 'LocalService' | 'NetworkService' }
  | { readonly kind: 'localsystem' }
  | { readonly kind: 'gmsa'; readonly domain: string; readonly user: string }
  /** An ordinary account: its password is never written to the XML; the admin sets it with sc.exe. */
  | { readonly kind: 'password'; readonly name: string };

export function windowsAccount(user: string | undefined): WindowsAccount {
  const name = (user ?? 'LocalService').trim();
  const lower = name.toLowerCase().replace(/^nt authority\\/, '');
  if (lower === 'localservice') return { kind: 'builtin', domain: 'NT AUTHORITY', user: 'LocalService' };
  if (lower === 'networkservice') return { kind: 'builtin', domain: 'NT AUTHORITY', user: 'NetworkService' };
  if (lower === 'localsystem') return { kind: 'localsystem' };
  if (!/^([A-Za-z0-9._-]+\\)?[A-Za-z0-9._ -]+\$?$/.test(name)) {
    throw new ServiceError('SERVICE_INVALID', `--user ${JSON.stringify(name)}: expected NAME, DOMAIN\\NAME or DOMAIN\\GMSA$`);
  }
  if (name.endsWith('$')) {
    const [domain, account] = name.includes('\\') ? (name.split('\\') as [string, string]) : ['.', name];
    return { kind: 'gmsa', domain, user: account };
  }
  return { kind: 'password', name: name.includes('\\') ? name : `.\\${name}` };
}

/** The name icacls and sc.exe know the account by. */
export function accountName(account: WindowsAccount): string {
  switch (account.kind) {
    case 'builtin':
      return `${account.domain}\\${account.user}`;
    case 'localsystem':
      return 'NT AUTHORITY\\SYSTEM';
    case 'gmsa':
      return `${account.domain}\\${account.user}`;
    case 'password':
      return account.name;
  }
}

export interface WinswOptions {
  /** Absolute path of node.exe. */
  readonly nodePath: string;
  readonly mainJs: string;
  readonly configFile: string;
  readonly workingDirectory: string;
  /** Where WinSW writes the service's stdout/stderr (rolled by size). */
  readonly logPath: string;
  readonly account: WindowsAccount;
}

function checkWinPath(value: string, what: string): string {
  // %...% is expanded by WinSW and a quote would break the command line: refuse both.
  if (!/^([A-Za-z]:\\|\\\\)/.test(value) || /["%<>|\r\n\t]/.test(value)) {
    throw new ServiceError(
      'SERVICE_INVALID',
      `${what} ${JSON.stringify(value)}: must be an absolute Windows path (C:\\... or \\\\server\\...) without quotes or %`,
    );
  }
  return win.normalize(value);
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** One argument as CommandLineToArgvW reads it back: quoted when needed, trailing backslashes doubled. */
export function windowsArg(value: string): string {
  if (value !== '' && !/[\s"]/.test(value)) return value;
  return `"${value.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

function accountXml(account: WindowsAccount): string {
  switch (account.kind) {
    case 'builtin':
      return `  <serviceaccount>\n    <domain>${account.domain}</domain>\n    <user>${account.user}</user>\n  </serviceaccount>\n`;
    case 'localsystem':
      return '  <serviceaccount>\n    <user>LocalSystem</user>\n  </serviceaccount>\n';
    case 'gmsa':
      return (
        `  <serviceaccount>\n    <domain>${xml(account.domain)}</domain>\n    <user>${xml(account.user)}</user>\n` +
        '    <allowservicelogon>true</allowservicelogon>\n  </serviceaccount>\n'
      );
    case 'password':
      // Set after install with sc.exe: a password in this file would be readable by every admin tool.
      return '';
  }
}

/**
 * The WinSW 2.x configuration of the dirsync service. On stop WinSW sends Ctrl+C, which node
 * turns into SIGINT: the daemon finishes its operation in flight within `stoptimeout`.
 */
export function renderWinswXml(o: WinswOptions): string {
  const nodePath = checkWinPath(o.nodePath, 'node.exe');
  const mainJs = checkWinPath(o.mainJs, 'dirsync main.js');
  const configFile = checkWinPath(o.configFile, 'config file');
  const workingDirectory = checkWinPath(o.workingDirectory, 'working directory');
  const logPath = checkWinPath(o.logPath, 'log folder');
  const args = [mainJs, 'start', '--config', configFile].map(windowsArg).join(' ');
  return `<!-- Written by "dirsync service install" for WinSW ${WINSW_VERSION}. Re-run it rather than editing this file. -->
<service>
  <id>${WINDOWS_SERVICE_ID}</id>
  <name>dirsync</name>
  <description>dirsync: directory groups to SCIM provisioning</description>
  <executable>${xml(nodePath)}</executable>
  <arguments>${xml(args)}</arguments>
  <workingdirectory>${xml(workingDirectory)}</workingdirectory>
  <env name="DIRSYNC_CONFIG" value="${xml(configFile)}"/>
  <env name="NODE_ENV" value="production"/>
  <startmode>Automatic</startmode>
  <delayedAutoStart>true</delayedAutoStart>
  <stoptimeout>120 sec</stoptimeout>
  <onfailure action="restart" delay="30 sec"/>
  <onfailure action="restart" delay="2 min"/>
  <onfailure action="restart" delay="10 min"/>
  <resetfailure>1 hour</resetfailure>
  <logpath>${xml(logPath)}</logpath>
  <log mode="roll-by-size">
    <sizeThreshold>10240</sizeThreshold>
    <keepFiles>8</keepFiles>
  </log>
${accountXml(o.account)}</service>
`;
}

/** WinSW reads the XML with the same base name as its renamed exe, in the same folder. */
export function winswXmlPath(winswExe: string): string {
  const parsed = win.parse(winswExe);
  return win.join(parsed.dir, `${parsed.name}.xml`);
}

export interface WindowsStepsOptions {
  readonly winswExe: string;
  readonly account: WindowsAccount;
  /** Folders the service writes (state, reports, logs). */
  readonly writablePaths: readonly string[];
  /** Folders it only reads (the config and secret files). */
  readonly readPaths: readonly string[];
}

function quoted(value: string): string {
  return `"${value}"`;
}

/** What an admin runs in an elevated PowerShell after the XML is written. */
export function windowsInstallSteps(o: WindowsStepsOptions): string[] {
  const exe = quoted(o.winswExe);
  const who = accountName(o.account);
  // LocalSystem can read and write everything already: no grant needed.
  const grants =
    o.account.kind === 'localsystem'
      ? []
      : [
          ...o.readPaths.map((p) => `icacls ${quoted(p)} /grant "${who}:(OI)(CI)RX"`),
          ...o.writablePaths.map((p) => `icacls ${quoted(p)} /grant "${who}:(OI)(CI)M"`),
        ];
  const steps = [...grants, `& ${exe} install`];
  if (o.account.kind === 'password') {
    steps.push(`sc.exe config ${WINDOWS_SERVICE_ID} obj= "${o.account.name}" password= "<the account's password>"`);
  }
  steps.push(`& ${exe} start`, `& ${exe} status`);
  return steps;
}

export function windowsUninstallSteps(winswExe: string): string[] {
  const exe = quoted(winswExe);
  return [`& ${exe} stop`, `& ${exe} uninstall`];
}
