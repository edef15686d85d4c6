import {
  accountName,
  renderWinswXml,
  windowsAccount,
  windowsArg,
  windowsInstallSteps,
  winswXmlPath,
  type WinswOptions,
} from '../../../src/service/windows';

function options(over: Partial<WinswOptions> = {}): WinswOptions {
  return {
    nodePath: 'C:\\Program Files\\nodejs\\node.exe',
    mainJs: 'C:\\dirsync\\dist\\src\\cli\\main.js',
    configFile: 'C:\\ProgramData\\dirsync\\connector.yaml',
    workingDirectory: 'C:\\dirsync',
    logPath: 'C:\\dirsync\\logs',
    account: windowsAccount(undefined),
    ...over,
  };
}

interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

/** A strict reader for the XML subset we write (elements, attributes, text, comments, 5 entities). */
function parseXml(source: string): XmlElement {
  const decode = (s: string): string => {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(s)) throw new Error(`bad entity in ${s}`);
    return s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const re = /<!--[\s\S]*?-->|<\/([\w]+)\s*>|<([\w]+)((?:\s+[\w]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let consumed = 0;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (m.index !== consumed) throw new Error(`unparsable XML at ${consumed}: ${source.slice(consumed, consumed + 30)}`);
    consumed = re.lastIndex;
    const top = stack.at(-1) as XmlElement;
    if (m[1]) {
      if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      const attrs: Record<string, string> = {};
      for (const a of (m[3] ?? '').matchAll(/([\w]+)="([^"]*)"/g)) attrs[a[1] as string] = decode(a[2] as string);
      const el: XmlElement = { name: m[2], attrs, children: [], text: '' };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    } else if (m[5] !== undefined) {
      if (top === root && m[5].trim()) throw new Error('text outside the root element');
      top.text += decode(m[5]);
    }
  }
  if (consumed !== source.length || stack.length !== 1) throw new Error('unterminated XML');
  if (root.children.length !== 1) throw new Error('expected one root element');
  return root.children[0] as XmlElement;
}

function child(el: XmlElement, name: string): XmlElement {
  const found = el.children.filter((c) => c.name === name);
  if (found.length !== 1) throw new Error(`<${name}> ${found.length} times`);
  return found[0] as XmlElement;
}

describe('renderWinswXml', () => {
  it('runs node.exe with main.js start --config, restarts on failure, rolls its log by size', () => {
    const service = parseXml(renderWinswXml(options()));
    expect(service.name).toBe('service');
    expect(child(service, 'id').text).toBe('dirsync');
    expect(child(service, 'name').text).toBe('dirsync');
    expect(child(service, 'executable').text).toBe('C:\\Program Files\\nodejs\\node.exe');
    expect(child(service, 'arguments').text).toBe(
      'C:\\dirsync\\dist\\src\\cli\\main.js start --config C:\\ProgramData\\dirsync\\connector.yaml',
    );
    expect(child(service, 'workingdirectory').text).toBe('C:\\dirsync');
    const env = service.children.filter((c) => c.name === 'env').map((e) => e.attrs);
    expect(env).toContainEqual({ name: 'DIRSYNC_CONFIG', value: 'C:\\ProgramData\\dirsync\\connector.yaml' });
    const log = child(service, 'log');
    expect(log.attrs.mode).toBe('roll-by-size');
    expect(child(log, 'sizeThreshold').text).toBe('10240');
    expect(child(log, 'keepFiles').text).toBe('8');
    const failures = service.children.filter((c) => c.name === 'onfailure').map((c) => c.attrs);
    expect(failures[0]).toEqual({ action: 'restart', delay: '30 sec' });
    expect(failures.every((f) => f.action === 'restart')).toBe(true);
    expect(child(service, 'stoptimeout').text).toBe('120 sec');
    expect(child(service, 'startmode').text).toBe('Automatic');
  });

  it('runs as LocalService by default, never writes a password, and supports gMSA', () => {
    const local = parseXml(renderWinswXml(options()));
    const sa = child(local, 'serviceaccount');
    expect([child(sa, 'domain').text, child(sa, 'user').text]).toEqual(['NT AUTHORITY', 'LocalService']);

    const gmsa = parseXml(renderWinswXml(options({ account: windowsAccount('CORP\\svc-dirsync$') })));
    const g = child(gmsa, 'serviceaccount');
    expect([child(g, 'domain').text, child(g, 'user').text, child(g, 'allowservicelogon').text]).toEqual([
      'CORP',
      'svc-dirsync$',
      'true',
    ]);

    const plain = renderWinswXml(options({ account: windowsAccount('CORP\\svc') }));
    expect(plain).not.toContain('<serviceaccount>');
    expect(plain).not.toContain('<password>');
  });

  it('quotes arguments with spaces the way CommandLineToArgvW reads them, and escapes XML', () => {
    expect(windowsArg('C:\\My Files\\a.yaml')).toBe('"C:\\My Files\\a.yaml"');
    expect(windowsArg('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(windowsArg('plain')).toBe('plain');
    const xml = renderWinswXml(options({ configFile: "C:\\Data & Config's\\x.yaml" }));
    expect(xml).toContain('&amp; Config&apos;s');
    const service = parseXml(xml);
    expect(child(service, 'arguments').text).toBe(
      `C:\\dirsync\\dist\\src\\cli\\main.js start --config "C:\\Data & Config's\\x.yaml"`,
    );
  });

  it('refuses relative paths and % (WinSW expands %VAR%) or quotes', () => {
    expect(() => renderWinswXml(options({ configFile: 'connector.yaml' }))).toThrow(
      expect.objectContaining({ code: 'SERVICE_INVALID' }),
    );
    expect(() => renderWinswXml(options({ configFile: 'C:\\%TEMP%\\c.yaml' }))).toThrow(/without quotes or %/);
    expect(() => renderWinswXml(options({ mainJs: 'C:\\a"b\\main.js' }))).toThrow(/without quotes or %/);
  });
});

describe('windows accounts and steps', () => {
  it('names accounts as icacls and sc.exe expect', () => {
    expect(accountName(windowsAccount(undefined))).toBe('NT AUTHORITY\\LocalService');
    expect(accountName(windowsAccount('networkservice'))).toBe('NT AUTHORITY\\NetworkService');
    expect(accountName(windowsAccount('LocalSystem'))).toBe('NT AUTHORITY\\SYSTEM');
    expect(accountName(windowsAccount('svc'))).toBe('.\\svc');
    expect(() => windowsAccount('a/b')).toThrow(expect.objectContaining({ code: 'SERVICE_INVALID' }));
  });

  it('puts the XML next to the exe under the same name', () => {
    expect(winswXmlPath('C:\\dirsync\\dirsync-service.exe')).toBe('C:\\dirsync\\dirsync-service.xml');
  });

  it('lists grants, install, the password step for a plain account, start and status, in that order', () => {
    const steps = windowsInstallSteps({
      winswExe: 'C:\\dirsync\\dirsync-service.exe',
      account: windowsAccount('CORP\\svc'),
      writablePaths: ['C:\\ProgramData\\dirsync\\state'],
      readPaths: ['C:\\ProgramData\\dirsync'],
    });
    expect(steps).toEqual([
      'icacls "C:\\ProgramData\\dirsync" /grant "CORP\\svc:(OI)(CI)RX"',
      'icacls "C:\\ProgramData\\dirsync\\state" /grant "CORP\\svc:(OI)(CI)M"',
      '& "C:\\dirsync\\dirsync-service.exe" install',
      'sc.exe config dirsync obj= "CORP\\svc" password= "<the account\'s password>"',
      '& "C:\\dirsync\\dirsync-service.exe" start',
      '& "C:\\dirsync\\dirsync-service.exe" status',
    ]);
    const system = windowsInstallSteps({
      winswExe: 'C:\\d\\s.exe',
      account: windowsAccount('LocalSystem'),
      writablePaths: ['C:\\x'],
      readPaths: ['C:\\y'],
    });
    expect(system.some((s) => s.startsWith('icacls'))).toBe(false);
  });
});
