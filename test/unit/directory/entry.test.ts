import { BerReader, SearchEntry } from 'ldapts';
import { binarySetOf, decodeSearchEntry, EntryDecodeError, toEntry, type ReadEntry } from '../../../src/directory/entry';
import { searchEntryBer, type FakeEntry } from './fake-ldap';

/** The body of an encoded SearchResultEntry: after its tag and length. */
function body(ber: Buffer): { start: number; end: number } {
  const reader = new BerReader(ber);
  reader.readSequence(0x64);
  return { start: reader.offset, end: reader.offset + reader.length };
}

function decodeLean(entry: FakeEntry, binary: readonly string[] = []): ReadEntry {
  const ber = searchEntryBer(entry);
  const { start, end } = body(ber);
  return decodeSearchEntry(ber, start, end, binarySetOf(binary));
}

/** What the path through ldapts' own objects gives: SearchEntry.parseMessage, toObject, toEntry. */
function decodeLdapts(entry: FakeEntry, binary: readonly string[] = []): ReadEntry {
  const ber = searchEntryBer(entry);
  const reader = new BerReader(ber);
  reader.readSequence(0x64);
  const message = new SearchEntry({ messageId: 1 });
  message.parseMessage(reader);
  return toEntry(message.toObject([], [...binary]), binarySetOf(binary));
}

describe('decodeSearchEntry', () => {
  it('gives what ldapts objects give: lower-cased types, every value, empty values and sets', () => {
    const entry: FakeEntry = {
      dn: 'uid=Zoë,ou=People,dc=example,dc=org',
      attributes: {
        entryUUID: ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
        mail: ['a@example.org', 'b@example.org', 'c@example.org'],
        displayName: ['Zoë Ünal'],
        description: [''],
        'member;range=0-*': ['cn=a', 'cn=b'],
        emptySet: [],
      },
    };
    const lean = decodeLean(entry);
    expect(lean).toEqual(decodeLdapts(entry));
    expect(lean.attributes).toEqual({
      entryuuid: ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
      mail: ['a@example.org', 'b@example.org', 'c@example.org'],
      displayname: ['Zoë Ünal'],
      description: [''],
      'member;range=0-*': ['cn=a', 'cn=b'],
      emptyset: [],
    });
  });

  it('keeps binary attributes as bytes, copied out of the buffer they were read from', () => {
    const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const entry: FakeEntry = { dn: 'CN=A,DC=x', attributes: { objectGUID: [guid], sAMAccountName: ['a'] } };
    const ber = searchEntryBer(entry);
    const { start, end } = body(ber);
    const lean = decodeSearchEntry(ber, start, end, binarySetOf(['objectGUID']));
    expect(lean).toEqual(decodeLdapts(entry, ['objectGUID']));
    expect(lean.binary['objectguid']?.[0]).toEqual(guid);
    expect(lean.attributes).toEqual({ samaccountname: ['a'] });
    ber.fill(0);
    expect(lean.binary['objectguid']?.[0]).toEqual(guid);
  });

  it('reads invalid UTF-8 as replacement characters, as toEntry did', () => {
    const entry: FakeEntry = { dn: 'cn=x', attributes: { cn: [Buffer.from([0x61, 0xff, 0x62])] } };
    expect(decodeLean(entry)).toEqual(decodeLdapts(entry));
    expect(decodeLean(entry).attributes['cn']).toEqual(['a\ufffdb']);
  });

  it('reads long values (multi-byte BER lengths) and entries of varying shape one after another', () => {
    const long = 'x'.repeat(70_000);
    const shapes: FakeEntry[] = [
      { dn: 'cn=1', attributes: { cn: ['1'], sn: ['one'] } },
      { dn: 'cn=2', attributes: { SN: ['two'], CN: ['2'], description: [long] } },
      { dn: 'cn=3', attributes: { cn: ['3'], Cn2: ['x'], 'c-n': [] } },
      { dn: 'cn=4', attributes: { cn: ['4'], sn: ['a'.repeat(200)] } },
    ];
    for (let round = 0; round < 3; round += 1) {
      for (const e of shapes) expect(decodeLean(e)).toEqual(decodeLdapts(e));
    }
  });

  it('builds arrays at their final length (no spare capacity kept per attribute)', () => {
    const lean = decodeLean({ dn: 'cn=x', attributes: { cn: ['x'], mail: ['a', 'b'] } });
    expect(lean.attributes['cn']).toEqual(['x']);
    expect(lean.attributes['mail']).toEqual(['a', 'b']);
  });

  it('throws on bytes that are not an entry', () => {
    const ber = searchEntryBer({ dn: 'cn=x', attributes: { cn: ['x'] } });
    const { start, end } = body(ber);
    expect(() => decodeSearchEntry(ber, start, end - 2, new Set())).toThrow(EntryDecodeError);
    expect(() => decodeSearchEntry(ber, start + 1, end, new Set())).toThrow(EntryDecodeError);
  });
});
