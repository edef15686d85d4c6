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
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas?: number[];
}

function readProfile(dir: string): CpuProfile | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  return file ? (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile) : undefined;
}

export interface PhaseLine {
  readonly phase: string;
  readonly ms: number;
  readonly percent: number;
}

/**
 * Where a run's time goes, by phase: a sample belongs to the first phase (in this order) one
 * of whose functions is on its stack (a function and the end of its file's path). Garbage
 * collection is charged to the phase that ran before it, and listed again on its own; idle is
 * waiting for the directory or the target.
 */
const PHASES: readonly { readonly phase: string; readonly frames: readonly (readonly [string, string])[] }[] = [
  {
    phase: 'scope table (state/scope.ts)',
    frames: [
      ['replace', 'state/scope.js'],
      ['update', 'state/scope.js'],
      ['all', 'state/scope.js'],
    ],
  },
  { phase: 'snapshot fingerprint (plan/frozen.ts)', frames: [['summarizeSnapshot', 'plan/frozen.js']] },
  {
    phase: 'snapshot rows (state/snapshot.ts)',
    frames: [
      ['all', 'state/snapshot.js'],
      ['get', 'state/snapshot.js'],
    ],
  },
  { phase: 'rules: desired state (rules/)', frames: [['buildDesiredState', 'rules/desired.js']] },
  {
    phase: 'licenses (sync/licensing-step.ts)',
    frames: [
      ['resolveRunLicenses', 'sync/licensing-step.js'],
      ['readLicenseHoldings', 'sync/license-holdings.js'],
    ],
  },
  {
    phase: 'plan (plan/build-plan.ts)',
    frames: [
      ['buildPlan', 'plan/build-plan.js'],
      ['applyGuard', 'plan/guard.js'],
    ],
  },
  {
    phase: 'directory read (directory/)',
    frames: [
      ['readDirectory', 'directory/read.js'],
      ['readDelta', 'directory/delta.js'],
      ['readConfiguredDirectory', 'directory/session.js'],
      ['socketDataHandler', 'ldapts/dist/index.cjs'],
    ],
  },
  { phase: 'apply (sync/apply.ts)', frames: [['applyPlan', 'sync/apply.js']] },
  {
    phase: 'start-up: modules, config, state db',
    frames: [
      ['wrapSafe', 'node:internal/modules/cjs/loader'],
      ['compileForInternalLoader', 'node:internal/bootstrap/realm'],
      ['loadConfig', 'config/load.js'],
      ['openStateDb', 'state/db.js'],
    ],
  },
];

export function summarizePhases(dir: string): PhaseLine[] {
  const profile = readProfile(dir);
  if (!profile) return [];
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const phaseOfNode = new Map<number, string>();
  const phaseOf = (id: number): string => {
    const known = phaseOfNode.get(id);
    if (known !== undefined) return known;
    const frames: ProfileNode['callFrame'][] = [];
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const node = byId.get(n);
      if (node) frames.push(node.callFrame);
    }
    const top = frames[0]?.functionName ?? '';
    let phase =
      top === '(garbage collector)' ? 'GC' : top === '(idle)' ? 'idle (waiting for the directory or the target)' : 'other';
    if (phase === 'other') {
      for (const p of PHASES) {
        if (frames.some((f) => p.frames.some(([fn, file]) => f.functionName === fn && f.url.includes(file)))) {
          phase = p.phase;
          break;
        }
      }
    }
    phaseOfNode.set(id, phase);
    return phase;
  };
  const totals = new Map<string, number>();
  const deltas = profile.timeDeltas ?? [];
  let last = 'other';
  let gc = 0;
  let all = 0;
  profile.samples.forEach((id, i) => {
    const us = deltas[i] ?? 0;
    all += us;
    let phase = phaseOf(id);
    if (phase === 'GC') {
      gc += us;
      phase = last;
    } else if (!phase.startsWith('idle')) {
      last = phase;
    }
    totals.set(phase, (totals.get(phase) ?? 0) + us);
  });
  const lines = [...totals.entries()].map(([phase, us]) => ({ phase, ms: us / 1000, percent: (100 * us) / (all || 1) }));
  lines.sort((a, b) => b.ms - a.ms);
  lines.push({
    phase: '  of which GC (charged above to the phase it interrupted)',
    ms: gc / 1000,
    percent: (100 * gc) / (all || 1),
  });
  return lines;
}

function shorten(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

/** Top functions by self time of the (first) .cpuprofile in `dir`, summed over identical frames. */
export function summarizeProfile(dir: string, top: number): ProfileLine[] {
  const profile = readProfile(dir);
  if (!profile) return [];
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
