import { readdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Deletes the regular files of `dir` whose name matches `name` and that were not written to for
 * more than `keepDays` days (by modification time); returns how many. Anything else in the
 * folder is never touched. A missing folder, or a file gone meanwhile, is not an error.
 */
export function pruneOldFiles(dir: string, name: RegExp, keepDays: number, now: Date = new Date()): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const cutoff = now.getTime() - keepDays * 86_400_000;
  let removed = 0;
  for (const file of names) {
    if (!name.test(file)) continue;
    const full = path.join(dir, file);
    try {
      const stat = statSync(full);
      if (!stat.isFile() || stat.mtimeMs >= cutoff) continue;
      unlinkSync(full);
      removed += 1;
    } catch {
      // Gone meanwhile (another process pruned it): nothing to do.
    }
  }
  return removed;
}
