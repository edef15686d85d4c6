import { Client } from 'ldapts';
import { Secret } from '../../../src/config/secret';
import { DirectoryClient, type ReadEntry } from '../../../src/directory/client';
import * as entryModule from '../../../src/directory/entry';
import { pagedSearch } from '../../../src/directory/paged-search';
import { startFakeLdap, type FakeEntry, type FakeLdap } from './fake-ldap';

const BASE = 'ou=people,dc=example,dc=org';

function person(i: number): FakeEntry {
  return {
    dn: `uid=user${i},${BASE}`,
    attributes: {
      uid: [`user${i}`],
      mail: [`user${i}@example.org`],
      displayName: [`Ünal ${i}`],
      entryUUID: [`uuid-${i}`],
      objectGUID: [Buffer.from([i, 0xff, 0x00, 0x80])],
    },
  };
}

const pages: FakeEntry[][] = [[person(1), person(2), person(3)], [], [person(4), person(5)]];

async function connect(server: FakeLdap): Promise<DirectoryClient> {
  return DirectoryClient.connect({
    urls: [server.url],
    bindDn: 'cn=admin',
    bindPassword: new Secret('x'),
    startTls: false,
    allowInsecure: true,
    timeoutMs: 5_000,
  });
}

async function readAll(client: DirectoryClient): Promise<ReadEntry[][]> {
  const out: ReadEntry[][] = [];
  for await (const page of client.searchPages({
    base: BASE,
    scope: 'sub',
    filter: '(uid=*)',
    attributes: ['uid', 'mail', 'displayName', 'entryUUID', 'objectGUID'],
    binaryAttributes: ['objectGUID'],
    pageSize: 3,
  })) {
    out.push(page);
  }
  return out;
}

describe('searches decoded lean through a real ldapts connection', () => {
  let servers: FakeLdap[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it.each([
    ['whole answers', undefined],
    ['answers cut every 7 bytes', 7],
  ])('pages through every entry, with %s', async (_what, chunk) => {
    const server = await startFakeLdap({ bases: { [BASE]: pages }, ...(chunk ? { chunk } : {}) });
    servers.push(server);
    const client = await connect(server);
    const lean = jest.spyOn(entryModule, 'decodeSearchEntry');
    try {
      const read = await readAll(client);
      // Decoded by dirsync's decoder, not through ldapts' Attribute objects and toObject.
      expect(lean).toHaveBeenCalledTimes(5);
      expect(read.map((p) => p.map((e) => e.dn))).toEqual([
        [`uid=user1,${BASE}`, `uid=user2,${BASE}`, `uid=user3,${BASE}`],
        [],
        [`uid=user4,${BASE}`, `uid=user5,${BASE}`],
      ]);
      expect(read[0]?.[0]).toEqual({
        dn: `uid=user1,${BASE}`,
        attributes: { uid: ['user1'], mail: ['user1@example.org'], displayname: ['Ünal 1'], entryuuid: ['uuid-1'] },
        binary: { objectguid: [Buffer.from([1, 0xff, 0x00, 0x80])] },
      });
      // Every page asked for with the cookie of the one before.
      expect(server.searches.map((s) => s.cookie)).toEqual(['', 'p1', 'p2']);
    } finally {
      lean.mockRestore();
      await client.close();
    }
  });

  it('reads one entry by DN, and a missing one as undefined', async () => {
    const server = await startFakeLdap({
      bases: { 'cn=g,dc=example,dc=org': [[{ dn: 'cn=g,dc=example,dc=org', attributes: { member: ['uid=a', 'uid=b'] } }]] },
    });
    servers.push(server);
    const client = await connect(server);
    try {
      expect(await client.readEntry('cn=g,dc=example,dc=org', ['member'])).toEqual({
        dn: 'cn=g,dc=example,dc=org',
        attributes: { member: ['uid=a', 'uid=b'] },
        binary: {},
      });
      expect(await client.readEntry('cn=missing,dc=example,dc=org', ['member'])).toBeUndefined();
      // A read by DN carries no paging control.
      expect(server.searches.every((s) => s.cookie === undefined)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('asks for the next page before the caller is done with the current one', async () => {
    const server = await startFakeLdap({ bases: { [BASE]: pages } });
    servers.push(server);
    const client = new Client({ url: server.url });
    try {
      const seenWhenHandedOver: number[] = [];
      for await (const _page of pagedSearch(client, {
        base: BASE,
        scope: 'sub',
        filter: '(uid=*)',
        attributes: ['uid'],
        binaryAttributes: [],
        pageSize: 3,
      })) {
        // Give the request in flight time to reach the server.
        await new Promise((resolve) => setTimeout(resolve, 20));
        seenWhenHandedOver.push(server.searches.length);
      }
      expect(seenWhenHandedOver).toEqual([2, 3, 3]);
    } finally {
      await client.unbind();
    }
  });

  it('stops cleanly when the caller stops early, with a page still in flight', async () => {
    const server = await startFakeLdap({ bases: { [BASE]: pages } });
    servers.push(server);
    const client = await connect(server);
    try {
      for await (const page of client.searchPages({
        base: BASE,
        scope: 'sub',
        filter: '(uid=*)',
        attributes: ['uid'],
        pageSize: 3,
      })) {
        expect(page).toHaveLength(3);
        break;
      }
      // The connection still serves the next operation.
      expect((await readAll(client)).flat()).toHaveLength(5);
    } finally {
      await client.close();
    }
  });
});
