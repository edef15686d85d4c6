import { DirectoryError } from '../errors/codes';
import type { DirectoryClient } from './client';

/** All the member reads need, so a unit test can answer like Windows or Samba would. */
export type EntryReader = Pick<DirectoryClient, 'readEntry'>;

/** AD's default MaxValRange; asking for explicit windows makes Samba (which has no cap) page too. */
export const RANGE_STEP = 1500;
/** Far beyond any real group (1,500 x 10,000 values), so a server that loops cannot hang a run. */
const MAX_RANGE_REQUESTS = 10_000;

const RANGE_KEY = /;range=(\d+)-(\d+|\*)$/;

/**
 * All values of a group's member attribute with AD range retrieval: `member;range=0-1499`,
 * then from the end the server reports, until it answers with `*`. Windows answers a plain
 * `member` request with only the first window, so asking for ranges ourselves is what makes
 * large groups complete on both Windows and Samba.
 */
export async function readRangedMembers(client: EntryReader, groupDn: string, attribute: string): Promise<string[]> {
  const values: string[] = [];
  const prefix = `${attribute.toLowerCase()};range=`;
  let start = 0;
  for (let request = 0; request < MAX_RANGE_REQUESTS; request += 1) {
    const entry = await client.readEntry(groupDn, [`${attribute};range=${start}-${start + RANGE_STEP - 1}`]);
    if (!entry) throw new DirectoryError('DIRECTORY_GROUP_NOT_FOUND', `group ${groupDn} disappeared while its members were read`);
    const key = Object.keys(entry.attributes).find((k) => k.startsWith(prefix));
    if (!key) {
      // No ranged attribute: an empty group, or past the last value.
      values.push(...(entry.attributes[attribute.toLowerCase()] ?? []));
      return values;
    }
    const match = RANGE_KEY.exec(key);
    const got = entry.attributes[key] ?? [];
    values.push(...got);
    // Samba answers an empty window (an empty group) with the ranged name and no values.
    if (!match || match[2] === '*' || got.length === 0) return values;
    const end = Number(match[2]);
    if (end < start) {
      throw new DirectoryError(
        'DIRECTORY_SEARCH',
        `group ${groupDn}: the server answered range ${key} to a request from ${start}`,
      );
    }
    start = end + 1;
  }
  throw new DirectoryError('DIRECTORY_SEARCH', `group ${groupDn}: more than ${MAX_RANGE_REQUESTS} range requests`);
}

export async function readMembers(client: EntryReader, groupDn: string, attribute: string, ranged: boolean): Promise<string[]> {
  if (ranged) return readRangedMembers(client, groupDn, attribute);
  const entry = await client.readEntry(groupDn, [attribute]);
  return entry?.attributes[attribute.toLowerCase()] ?? [];
}
