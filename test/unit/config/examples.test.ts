/**
 * Every example config shipped in the repository (*.yaml in the repository root and in config/)
 * goes through the real loader (src/config/load.ts), with the environment variables it refers to
 * set: an example that drifts from the schema, or names a setting that no longer exists, fails
 * here instead of on an admin's first `dirsync validate`.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../../src/config/load';
import { Config } from '../../../src/config/schema';
import { ConfigError } from '../../../src/errors/codes';
import { resolveNotificationSettings, type NotificationSettings } from '../../../src/notify/settings';

const ROOT = path.resolve(__dirname, '../../..');
const MAIN_EXAMPLE = path.join(ROOT, 'connector.example.yaml');

function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => path.join(dir, e.name));
}

const EXAMPLES = [...yamlFilesIn(ROOT), ...yamlFilesIn(path.join(ROOT, 'config'))].sort();

/** Every `${env:NAME}` the text mentions (comments included), each set to a value naming it. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const name = m[1] as string;
    // Values the resolved settings are checked with: a URL where one is expected.
    env[name] = /URL$/.test(name) ? `https://hooks.example.org/${name.toLowerCase()}` : `value-of-${name}`;
  }
  return env;
}

/** Every string value of the parsed document that is a `file:` secret reference. */
function fileReferences(value: unknown): string[] {
  if (typeof value === 'string') return /^file:.+/.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(fileReferences);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(fileReferences);
  return [];
}

const scratch = mkdtempSync(path.join(tmpdir(), 'dirsync-examples-'));

/**
 * The file to load: the example itself, or, when it refers to secret files that only exist on a
 * real server (`file:/etc/dirsync/scim-token`), a copy in a scratch folder whose references point
 * at scratch files holding a dummy secret. Nothing else of the text changes.
 */
function loadable(file: string, text: string): string {
  const refs = [...new Set(fileReferences(parse(text)))];
  if (refs.length === 0) return file;
  let copy = text;
  refs.forEach((ref, i) => {
    const secret = path.join(scratch, `${path.basename(file)}.secret-${i}`);
    writeFileSync(secret, `value-of-file-${i}\n`, { mode: 0o600 });
    copy = copy.split(ref).join(`file:${secret}`);
  });
  const out = path.join(scratch, path.basename(file));
  writeFileSync(out, copy);
  return out;
}

/** loadConfig, and the daemon's resolution of the notification secrets; a failure names every problem. */
function loadExample(file: string, env: Record<string, string>): { loaded: LoadedConfig; notifications: NotificationSettings } {
  try {
    const loaded = loadConfig(file, env);
    return { loaded, notifications: resolveNotificationSettings(loaded.config.notifications, loaded.file, env) };
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`${file} does not load:\n  ${err.problems.join('\n  ')}`);
    throw err;
  }
}

describe('example configs load through the real loader', () => {
  it('finds the shipped examples', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining([MAIN_EXAMPLE, path.join(ROOT, 'config', 'activedirectory.example.yaml')]));
  });

  it.each(EXAMPLES.map((f) => [path.relative(ROOT, f), f] as const))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const env = envFor(text);
    const { loaded } = loadExample(loadable(file, text), env);
    // The references were resolved from the environment given, not found set elsewhere.
    const bindRef = /^\$\{env:(\w+)\}$/.exec(loaded.config.directory?.bindPassword ?? '');
    if (bindRef) expect(loaded.bindPassword?.reveal()).toBe(env[bindRef[1] as string]);
    expect(loaded.token.reveal()).toMatch(/^value-of-/);
  });
});

describe('connector.example.yaml is complete', () => {
  const text = readFileSync(MAIN_EXAMPLE, 'utf8');

  it('has every top-level section of the schema, set or commented out', () => {
    const sections = Object.keys(Config.shape).filter((k) => k !== '$schema');
    const missing = sections.filter((k) => !new RegExp(`^(# ?)?${k}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });

  it('sets health and notifications to what the schema defaults to (nothing exposed, nothing sent)', () => {
    const { loaded, notifications } = loadExample(MAIN_EXAMPLE, envFor(text));
    expect(loaded.config.health).toEqual({ enabled: false, host: '127.0.0.1', port: 9464, maxAgeSeconds: 7200 });
    expect(loaded.config.notifications).toEqual({ minIntervalMinutes: 240 });
    expect(notifications.webhook).toBeUndefined();
    expect(notifications.email).toBeUndefined();
  });

  /**
   * The webhook and email blocks ship commented out (a copied example must not notify a host
   * that does not exist). Uncommented, they must still be valid: `  # webhook:` and the
   * `  #   ...` lines under it lose their `# `.
   */
  it('its commented-out webhook and email blocks are valid once uncommented', () => {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => /^notifications:/.test(l));
    expect(start).toBeGreaterThan(-1);
    let inBlock = false;
    let uncommented = 0;
    for (let i = start + 1; i < lines.length && !/^[A-Za-z$]/.test(lines[i] as string); i += 1) {
      const line = lines[i] as string;
      if (/^ {2}# (webhook|email):\s*$/.test(line)) inBlock = true;
      else if (!/^ {2}# {3}/.test(line)) inBlock = false;
      if (inBlock) {
        lines[i] = `  ${line.slice(4)}`;
        uncommented += 1;
      }
    }
    expect(uncommented).toBeGreaterThan(10);
    const file = path.join(scratch, 'notifications-uncommented.yaml');
    writeFileSync(file, lines.join('\n'));
    const env = envFor(text);
    const { notifications } = loadExample(file, env);
    expect(notifications.webhook?.url.reveal()).toBe(env.DIRSYNC_WEBHOOK_URL);
    expect(Object.keys(notifications.webhook?.headers ?? {}).sort()).toEqual(['Authorization', 'X-Source']);
    expect(notifications.webhook?.headers.Authorization?.reveal()).toBe(env.DIRSYNC_WEBHOOK_AUTH);
    expect(notifications.email).toMatchObject({
      host: 'smtp.example.org',
      port: 587,
      secure: false,
      to: ['idm-team@example.org'],
    });
    expect(notifications.email?.password?.reveal()).toBe(env.DIRSYNC_SMTP_PASSWORD);
  });
});
