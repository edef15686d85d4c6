import { MessageResponseStatus, PagedResultsControl, type Client } from 'ldapts';
import { pagedSearch, type Page } from '../../../src/directory/paged-search';

interface FakePage {
  status?: number;
  dns?: string[];
  references?: string[];
  cookie?: string;
}

/** A stand-in for ldapts' connection internals that answers each page as scripted. */
function fakeClient(pages: FakePage[], sentCookies: string[]): Client {
  let i = 0;
  const fake = {
    _ensureConnected: async () => undefined,
    _nextMessageId: () => i + 1,
    _send: async (request: { controls?: { value?: { cookie?: Buffer } }[] }) => {
      sentCookies.push(request.controls?.[0]?.value?.cookie?.toString() ?? '');
      const page = pages[i++];
      if (!page) throw new Error('no more pages scripted');
      return {
        status: page.status ?? MessageResponseStatus.Success,
        errorMessage: 'scripted',
        matchedDN: '',
        searchEntries: (page.dns ?? []).map((dn) => ({ toObject: () => ({ dn }) })),
        searchReferences: (page.references ?? []).map((uri) => ({ uris: [uri] })),
        controls:
          page.cookie === undefined ? [] : [new PagedResultsControl({ value: { size: 2, cookie: Buffer.from(page.cookie) } })],
      };
    },
  };
  return fake as unknown as Client;
}

async function collect(client: Client): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of pagedSearch(client, {
    base: 'dc=x',
    scope: 'sub',
    filter: '(uid=*)',
    attributes: ['uid'],
    binaryAttributes: [],
    pageSize: 2,
  })) {
    pages.push(page);
  }
  return pages;
}

describe('pagedSearch', () => {
  it('keeps paging through an empty page that carries a cookie (ldapts itself stops there)', async () => {
    const sent: string[] = [];
    const pages = await collect(
      fakeClient(
        [
          { dns: ['uid=a', 'uid=b'], cookie: 'c1' },
          { dns: [], cookie: 'c2' },
          { dns: ['uid=c'], cookie: '' },
        ],
        sent,
      ),
    );
    expect(pages.flatMap((p) => p.entries.map((e) => e.dn))).toEqual(['uid=a', 'uid=b', 'uid=c']);
    expect(sent).toEqual(['', 'c1', 'c2']);
  });

  it('collects continuation references without failing', async () => {
    const pages = await collect(fakeClient([{ dns: ['uid=a'], references: ['ldap://dc/CN=Configuration,DC=x'] }], []));
    expect(pages[0]?.references).toEqual(['ldap://dc/CN=Configuration,DC=x']);
  });

  it.each([
    ['a referral for the base itself', 10, 'referral (10)'],
    ['a size limit', MessageResponseStatus.SizeLimitExceeded, 'sizeLimitExceeded (4)'],
    ['a time limit', 3, 'timeLimitExceeded (3)'],
  ])('throws on %s, even after pages that succeeded', async (_what, status, name) => {
    await expect(collect(fakeClient([{ dns: ['uid=a'], cookie: 'c1' }, { status }], []))).rejects.toThrow(
      `the server answered ${name} to the search of dc=x: scripted`,
    );
  });
});
