import type { SnapshotUser } from '../model/user-state';
import type { StateDb } from './db';

interface SnapshotRow {
  external_id: string;
  target_id: string;
  dn: string;
  user_name: string;
  email: string;
  given_name: string;
  family_name: string;
  display_name: string;
  role: string;
  user_type: string;
  active: number;
  updated_at: string;
}

/** The columns of SnapshotRow, in that order. */
type RawSnapshotRow = [string, string, string, string, string, string, string, string, string, string, number, string];

function fromRow(r: SnapshotRow): SnapshotUser {
  return {
    externalId: r.external_id,
    targetId: r.target_id,
    dn: r.dn,
    userName: r.user_name,
    email: r.email,
    givenName: r.given_name,
    familyName: r.family_name,
    displayName: r.display_name,
    role: r.role,
    userType: r.user_type,
    active: r.active === 1,
    updatedAt: r.updated_at,
  };
}

/** What the target confirmed, keyed by the directory's stable id. */
export class SnapshotStore {
  readonly #db: StateDb;
  readonly #upsert;
  readonly #all;
  readonly #byId;

  constructor(db: StateDb) {
    this.#db = db;
    this.#upsert = db.prepare(
      `INSERT INTO snapshot (external_id, target_id, dn, user_name, email, given_name, family_name,
         display_name, role, user_type, active, updated_at)
       VALUES (@externalId, @targetId, @dn, @userName, @email, @givenName, @familyName,
         @displayName, @role, @userType, @active, @updatedAt)
       ON CONFLICT(external_id) DO UPDATE SET target_id = excluded.target_id, dn = excluded.dn,
         user_name = excluded.user_name, email = excluded.email, given_name = excluded.given_name,
         family_name = excluded.family_name, display_name = excluded.display_name,
         role = excluded.role, user_type = excluded.user_type, active = excluded.active,
         updated_at = excluded.updated_at`,
    );
    // Raw rows (arrays, not objects): a full sync reads every row, and building a keyed row
    // object per user only to copy it into another one doubled the cost of this read.
    this.#all = db
      .prepare<[], RawSnapshotRow>(
        `SELECT external_id, target_id, dn, user_name, email, given_name, family_name, display_name,
           role, user_type, active, updated_at FROM snapshot ORDER BY external_id`,
      )
      .raw(true);
    this.#byId = db.prepare<[string], SnapshotRow>('SELECT * FROM snapshot WHERE external_id = ?');
  }

  all(): SnapshotUser[] {
    const users: SnapshotUser[] = [];
    for (const r of this.#all.all()) {
      users.push({
        externalId: r[0],
        targetId: r[1],
        dn: r[2],
        userName: r[3],
        email: r[4],
        givenName: r[5],
        familyName: r[6],
        displayName: r[7],
        role: r[8],
        userType: r[9],
        active: r[10] === 1,
        updatedAt: r[11],
      });
    }
    return users;
  }

  get(externalId: string): SnapshotUser | undefined {
    const row = this.#byId.get(externalId);
    return row && fromRow(row);
  }

  put(user: SnapshotUser): void {
    this.#upsert.run({ ...user, active: user.active ? 1 : 0 });
  }

  activeCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM snapshot WHERE active = 1').get() as { n: number }).n;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM snapshot').get() as { n: number }).n;
  }
}
