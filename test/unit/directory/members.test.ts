import type { ReadEntry } from '../../../src/directory/client';
import { RANGE_STEP, readRangedMembers, type EntryReader } from '../../../src/directory/members';

/** Answers range requests like a server whose cap per answer is `cap` values. */
function rangedServer(total: number, cap: number, requests: string[]): EntryReader {
  const values = Array.from({ length: total }, (_, i) => `cn=u${i},dc=x`);
  return {
    readEntry: async (_dn: string, attributes: readonly string[]): Promise<ReadEntry | undefined> => {
      const asked = attributes[0] ?? '';
      requests.push(asked);
      const m = /^member;range=(\d+)-(\d+)$/.exec(asked);
      if (!m) throw new Error(`unexpected request ${asked}`);
      const start = Number(m[1]);
      const end = Math.min(Number(m[2]), start + cap - 1, total - 1);
      if (start >= total) return { dn: 'cn=g', attributes: {}, binary: {} };
      const last = end >= total - 1;
      return {
        dn: 'cn=g',
        attributes: { [`member;range=${start}-${last ? '*' : end}`]: values.slice(start, end + 1) },
        binary: {},
      };
    },
  };
}

describe('readRangedMembers', () => {
  it('follows the ranges to "*" (Windows-like cap of 1,500)', async () => {
    const requests: string[] = [];
    const members = await readRangedMembers(rangedServer(3200, 1500, requests), 'cn=g', 'member');
    expect(members).toHaveLength(3200);
    expect(new Set(members).size).toBe(3200);
    expect(requests).toEqual(['member;range=0-1499', 'member;range=1500-2999', 'member;range=3000-4499']);
  });

  it('continues from where a server with a smaller cap stopped', async () => {
    const requests: string[] = [];
    const members = await readRangedMembers(rangedServer(2500, 1000, requests), 'cn=g', 'member');
    expect(members).toHaveLength(2500);
    expect(requests[1]).toBe('member;range=1000-2499');
  });

  it('reads an empty window answered with the ranged name and no values (Samba) as the end', async () => {
    const empty: EntryReader = { readEntry: async () => ({ dn: 'cn=g', attributes: { 'member;range=0-1499': [] }, binary: {} }) };
    expect(await readRangedMembers(empty, 'cn=g', 'member')).toEqual([]);
  });

  it('reads an empty group and a group of exactly one window', async () => {
    expect(await readRangedMembers(rangedServer(0, 1500, []), 'cn=g', 'member')).toEqual([]);
    expect(await readRangedMembers(rangedServer(RANGE_STEP, 1500, []), 'cn=g', 'member')).toHaveLength(RANGE_STEP);
  });

  it('fails on a range answer that does not move forward', async () => {
    const stuck: EntryReader = {
      readEntry: async () => ({ dn: 'cn=g', attributes: { 'member;range=5-3': ['cn=a'] }, binary: {} }),
    };
    await expect(readRangedMembers(stuck, 'cn=g', 'member')).rejects.toThrow(/answered range/);
  });
});
