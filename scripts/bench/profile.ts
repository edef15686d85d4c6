import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ProfileLine {
  readonly fn: string;
  /** file:line, shortened to the repository or the package. */
  readonly where: string;
  readonly selfMs: number;
  readonly percent: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function shorten(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

/** Top functions by self time of the (first) .cpuprofile in `dir`, summed over identical frames. */
export function summarizeProfile(dir: string, top: number): ProfileLine[] {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return [];
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const totalUs = profile.endTime - profile.startTime;
  const perSampleUs = profile.samples.length > 0 ? totalUs / profile.samples.length : 0;
  const byFrame = new Map<string, { fn: string; where: string; hits: number }>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const entry = byFrame.get(key) ?? { fn, where, hits: 0 };
    entry.hits += node.hitCount ?? 0;
    byFrame.set(key, entry);
  }
  const totalHits = profile.samples.length || 1;
  return [...byFrame.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, top)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: (e.hits * perSampleUs) / 1000, percent: (100 * e.hits) / totalHits }));
}
