import type path from 'node:path';
import type { Config } from '../config/schema';

/**
 * Folders the daemon writes: the state database's (also the notification state next to it), the
 * reports and the log files. The config resolves them to absolute paths from the config's folder.
 */
export function writableFolders(config: Config, p: path.PlatformPath): string[] {
  const dirs = [p.dirname(config.state.path), config.reports.dir];
  if (config.logging.file) dirs.push(config.logging.file.dir);
  return [...new Set(dirs.map((d) => p.normalize(d)))];
}

/** Environment variables the config's secret references name (`${env:NAME}`), sorted. */
export function envReferences(value: unknown): string[] {
  const names = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 10) return;
    if (typeof v === 'string') {
      const m = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(v);
      if (m?.[1]) names.add(m[1]);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      for (const item of Object.values(v)) walk(item, depth + 1);
    }
  };
  walk(value, 0);
  return [...names].sort();
}
