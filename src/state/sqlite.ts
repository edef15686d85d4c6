import Database from 'better-sqlite3';

/**
 * Node 24.19+ finalises native ObjectWraps in ways better-sqlite3 12 does not expect: a
 * Statement or Database collected by an idle GC aborts the process ("Assertion failed:
 * (env) != nullptr" in RemoveEnvironmentCleanupHook). better-sqlite3 13 fixes it but needs
 * Node 22, and we support Node 20. So no handle is ever left for the GC: every Database and
 * Statement stays reachable for the life of the process. To keep that bounded, statements are
 * prepared once per SQL text (which is also faster), pragmas go through the same cache, and a
 * file is opened once per process: close() on a shared connection keeps it open for the next
 * user (the daemon opens the state database every run).
 */
const alive: unknown[] = [];
const shared = new Map<string, Database.Database>();

function keepHandles(db: Database.Database): Database.Database {
  alive.push(db);
  const statements = new Map<string, Database.Statement>();
  const prepareOnce = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = Database.prototype.prepare.call(db, sql) as Database.Statement;
      statements.set(sql, statement);
      alive.push(statement);
    }
    return statement;
  };
  db.prepare = prepareOnce as Database.Database['prepare'];
  db.pragma = ((source: string, options?: Database.PragmaOptions): unknown => {
    const statement = prepareOnce(`PRAGMA ${source}`);
    if (!statement.reader) {
      statement.run();
      return [];
    }
    if (!options?.simple) return statement.all();
    const row = statement.raw(true).get() as unknown[] | undefined;
    statement.raw(false);
    return row?.[0];
  }) as Database.Database['pragma'];
  return db;
}

/**
 * A connection whose handles are never garbage: see above. ':memory:', read-only and
 * `share: false` connections get their own handle (still kept), the rest one per file.
 */
export function openSqlite(file: string, options?: Database.Options, share = true): Database.Database {
  if (!share || file === ':memory:' || options?.readonly) return keepHandles(new Database(file, options));
  const existing = shared.get(file);
  if (existing?.open) return existing;
  const db = keepHandles(new Database(file, options));
  db.close = (() => db) as Database.Database['close'];
  shared.set(file, db);
  return db;
}
