import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/codes';
import { configJsonSchema } from './json-schema';
import { Config, type DirectoryConfig } from './schema';
import { Secret } from './secret';
import { suggest } from './suggest';

export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
  /** Undefined when the source is a CSV file (no directory to bind to). */
  readonly bindPassword: Secret | undefined;
  readonly token: Secret;
}

export const DEFAULT_CONFIG_FILE = 'connector.yaml';

/** `directory.groups[1].dn` from zod's path array. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(top level)';
}

interface JsonSchemaNode {
  readonly properties?: Record<string, JsonSchemaNode>;
  readonly items?: JsonSchemaNode;
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
}

let schemaCache: JsonSchemaNode | undefined;

/** The setting names allowed at a path, read from the JSON Schema (the same source editors use). */
export function knownKeys(segments: readonly PropertyKey[]): string[] {
  schemaCache ??= configJsonSchema() as JsonSchemaNode;
  const pick = (node: JsonSchemaNode | undefined, want: 'properties' | 'items'): JsonSchemaNode | undefined =>
    node?.[want] !== undefined ? node : [...(node?.anyOf ?? []), ...(node?.oneOf ?? [])].find((n) => n[want] !== undefined);
  let node: JsonSchemaNode | undefined = schemaCache;
  for (const seg of segments) {
    node = typeof seg === 'number' ? pick(node, 'items')?.items : pick(node, 'properties')?.properties?.[String(seg)];
  }
  return Object.keys(pick(node, 'properties')?.properties ?? {}).filter((k) => k !== '$schema');
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const where = formatPath(issue.path);
    if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      return [`${where}: required`];
    }
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(issue.path);
      return issue.keys.map((k) => {
        const key = where === '(top level)' ? k : `${where}.${k}`;
        const hint = suggest(k, known);
        return hint ? `${key}: unknown setting (did you mean ${hint}?)` : `${key}: unknown setting`;
      });
    }
    return [`${where}: ${issue.message}`];
  });
}

/** The directory section; a config with a CSV source has none. */
export function directoryOf(config: Config): DirectoryConfig {
  if (!config.directory)
    throw new ConfigError('CONFIG_INVALID', ['directory: required for this command (the source is a CSV file)']);
  return config.directory;
}

/** Validates a parsed document; relative paths are resolved against `baseDir`. */
export function parseConfig(raw: unknown, baseDir: string, file = '(inline)'): Config {
  const result = Config.safeParse(raw);
  if (!result.success) throw new ConfigError('CONFIG_INVALID', formatIssues(result.error.issues), file);
  const config = result.data;
  const abs = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(baseDir, p));
  const directory = config.directory;
  const csv = config.source?.csv;
  return {
    ...config,
    ...(directory
      ? { directory: { ...directory, tls: { ...directory.tls, caFile: directory.tls.caFile && abs(directory.tls.caFile) } } }
      : {}),
    ...(csv ? { source: { csv: { ...csv, file: abs(csv.file) } } } : {}),
    target: { ...config.target, caFile: config.target.caFile && abs(config.target.caFile) },
    state: { path: abs(config.state.path) },
    reports: { ...config.reports, dir: abs(config.reports.dir) },
    logging: { ...config.logging, file: config.logging.file && { ...config.logging.file, dir: abs(config.logging.file.dir) } },
  };
}

export function resolveSecret(ref: string, setting: string, env: NodeJS.ProcessEnv, baseDir: string): Secret {
  const envMatch = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(ref);
  if (envMatch) {
    const name = envMatch[1] as string;
    const value = env[name];
    if (value === undefined || value === '') {
      throw new ConfigError('SECRET_UNRESOLVED', [`${setting}: environment variable ${name} is not set`]);
    }
    return new Secret(value);
  }
  const filePath = ref.slice('file:'.length);
  const abs = path.isAbsolute(filePath) ? filePath : path.resolve(baseDir, filePath);
  let content: string;
  try {
    content = readFileSync(abs, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError('SECRET_UNRESOLVED', [`${setting}: cannot read secret file ${abs} (${reason})`]);
  }
  // A trailing newline is an editor artefact, never part of the secret.
  const value = content.replace(/\r?\n$/, '');
  if (!value) throw new ConfigError('SECRET_UNRESOLVED', [`${setting}: secret file ${abs} is empty`]);
  return new Secret(value);
}

export function readConfigFile(file: string): { raw: unknown; baseDir: string } {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot be read';
    throw new ConfigError('CONFIG_NOT_FOUND', [`config ${reason}`], abs);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_PARSE',
      doc.errors.map((e) => `YAML ${e.message.split('\n')[0] ?? e.code}`),
      abs,
    );
  }
  return { raw: doc.toJS(), baseDir: path.dirname(abs) };
}

/** Reads, validates and resolves secrets; throws ConfigError naming every bad setting. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { raw, baseDir } = readConfigFile(file);
  const abs = path.resolve(file);
  const config = parseConfig(raw, baseDir, abs);
  const problems: string[] = [];
  const tryResolve = (ref: string, setting: string): Secret | undefined => {
    try {
      return resolveSecret(ref, setting, env, baseDir);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  };
  const bindPassword = config.directory && tryResolve(config.directory.bindPassword, 'directory.bindPassword');
  const token = tryResolve(config.target.token, 'target.token');
  if (problems.length > 0 || !token) throw new ConfigError('SECRET_UNRESOLVED', problems, abs);
  return { file: abs, config, bindPassword, token };
}
