import { TargetError } from '../errors/codes';
import type { UserTarget } from '../target/scim-client';

/**
 * SCIM Groups by displayName, looked up once per run. Target groups of mapped directory groups
 * are created when missing; a group standing for a license must exist (a typo in a license name
 * must not create a group that grants nothing).
 */
export class TargetGroups {
  readonly #client: UserTarget;
  readonly #ids = new Map<string, Promise<string | undefined>>();

  constructor(client: UserTarget) {
    this.#client = client;
  }

  /** The group's id; undefined when it does not exist and `create` is false. */
  idOf(displayName: string, create: boolean): Promise<string | undefined> {
    let id = this.#ids.get(displayName);
    if (!id) {
      id = this.#resolve(displayName, create);
      // A failed lookup is not remembered: the next user asks again.
      id.catch(() => this.#ids.delete(displayName));
      this.#ids.set(displayName, id);
    }
    return id;
  }

  async #resolve(displayName: string, create: boolean): Promise<string | undefined> {
    const found = await this.#client.findGroups(displayName);
    if (found.length > 1) {
      throw new TargetError(
        'TARGET_CONFLICT',
        `${found.length} target groups are named "${displayName}" (${found.map((g) => g.id).join(', ')}): rename all but one`,
      );
    }
    const group = found[0];
    if (group) return group.id;
    if (!create) {
      this.#ids.delete(displayName); // Not remembered: a later add may create it.
      return undefined;
    }
    return (await this.#client.createGroup(displayName)).id;
  }

  async addMember(displayName: string, userId: string, create: boolean): Promise<void> {
    const id = await this.idOf(displayName, create);
    if (id === undefined) {
      throw new TargetError(
        'TARGET_HTTP',
        `the target has no group named "${displayName}", which stands for a license: create it on the target`,
        404,
      );
    }
    await this.#client.patchGroup(id, [{ op: 'add', path: 'members', value: [{ value: userId }] }]);
  }

  /** Nothing to do when the group itself is gone. */
  async removeMember(displayName: string, userId: string): Promise<void> {
    const id = await this.idOf(displayName, false);
    if (id === undefined) return;
    const filter = `members[value eq "${userId.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"]`;
    await this.#client.patchGroup(id, [{ op: 'remove', path: filter }]);
  }
}
