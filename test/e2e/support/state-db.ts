import { openSqlite } from '../../../src/state/sqlite';

export interface RunRow {
  id: string;
  mode: string;
  outcome: string;
  message: string | null;
  counts: string;
}

/** Reads the connector's state database the way an admin would, read-only. */
export function inspectState(file: string): {
  journal: Record<string, number>;
  runs: RunRow[];
  snapshot: { external_id: string; target_id: string; active: number; user_name: string }[];
  lease: unknown[];
} {
  // Through openSqlite: a better-sqlite3 12 handle left to the GC aborts Node 24 (see there).
  const db = openSqlite(file, { readonly: true, fileMustExist: true });
  try {
    const journal: Record<string, number> = {};
    for (const r of db.prepare('SELECT status, count(*) AS n FROM journal GROUP BY status').all() as {
      status: string;
      n: number;
    }[]) {
      journal[r.status] = r.n;
    }
    return {
      journal,
      runs: db.prepare('SELECT id, mode, outcome, message, counts FROM runs ORDER BY started_at, id').all() as RunRow[],
      snapshot: db.prepare('SELECT external_id, target_id, active, user_name FROM snapshot').all() as {
        external_id: string;
        target_id: string;
        active: number;
        user_name: string;
      }[],
      lease: db.prepare('SELECT * FROM lease').all(),
    };
  } finally {
    db.close();
  }
}
