import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BerReader, BerWriter, PagedResultsControl } from 'ldapts';

/** An entry as the fake server sends it: attribute values as text or raw bytes. */
export interface FakeEntry {
  readonly dn: string;
  readonly attributes: Readonly<Record<string, readonly (string | Buffer)[]>>;
}

/** One search request as the fake server saw it. */
export interface SeenSearch {
  readonly messageId: number;
  readonly base: string;
  /** The paged-results cookie sent, '' for the first page; undefined without the control. */
  readonly cookie?: string;
}

export interface FakeLdapOptions {
  /** Pages of entries, per base DN; a base not listed answers noSuchObject (32). */
  readonly bases: Readonly<Record<string, readonly (readonly FakeEntry[])[]>>;
  /** Bytes per socket write, so messages arrive cut across reads. Default: whole answers. */
  readonly chunk?: number;
}

export interface FakeLdap {
  readonly url: string;
  readonly searches: SeenSearch[];
  close(): Promise<void>;
}

/** BER of one SearchResultEntry body ([APPLICATION 4]). */
export function searchEntryBer(entry: FakeEntry): Buffer {
  const w = new BerWriter();
  writeEntry(w, entry);
  return Buffer.from(w.buffer);
}

function writeEntry(w: BerWriter, entry: FakeEntry): void {
  w.startSequence(0x64);
  w.writeString(entry.dn);
  w.startSequence();
  for (const [type, values] of Object.entries(entry.attributes)) {
    w.startSequence();
    w.writeString(type);
    w.startSequence(0x31);
    for (const v of values) {
      if (typeof v === 'string') w.writeString(v);
      else w.writeBuffer(v, 0x04);
    }
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
}

function message(messageId: number, body: (w: BerWriter) => void, controls?: (w: BerWriter) => void): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(messageId);
  body(w);
  if (controls) {
    w.startSequence(0xa0);
    controls(w);
    w.endSequence();
  }
  w.endSequence();
  return Buffer.from(w.buffer);
}

function result(tag: number, code: number): (w: BerWriter) => void {
  return (w) => {
    w.startSequence(tag);
    w.writeEnumeration(code);
    w.writeString('');
    w.writeString(code === 0 ? '' : 'scripted');
    w.endSequence();
  };
}

/** The paged-results cookie of a search request's controls, if it carries the control. */
function cookieOf(reader: BerReader, end: number): string | undefined {
  if (reader.offset >= end || reader.peek() !== 0xa0) return undefined;
  reader.readSequence(0xa0);
  while (reader.offset < end) {
    reader.readSequence();
    const type = reader.readString();
    if (reader.peek() === 0x01) reader.readBoolean();
    const value = reader.readString(0x04, true);
    if (type === PagedResultsControl.type && value) {
      const v = new BerReader(value);
      v.readSequence();
      v.readInt();
      return v.readString(0x04, true)?.toString('utf8') ?? '';
    }
  }
  return undefined;
}

/**
 * A minimal LDAP server on 127.0.0.1: accepts any simple bind, answers base and subtree searches
 * from `bases` page by page (paged-results cookies p1, p2...), and unbinds. Enough to drive
 * ldapts and dirsync's own paging and entry decoding through a real socket.
 */
export async function startFakeLdap(options: FakeLdapOptions): Promise<FakeLdap> {
  const searches: SeenSearch[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    let writing = Promise.resolve();
    const send = (bytes: Buffer): void => {
      const chunk = options.chunk ?? bytes.length;
      writing = writing.then(async () => {
        for (let i = 0; i < bytes.length; i += chunk) {
          socket.write(bytes.subarray(i, i + chunk));
          if (options.chunk) await new Promise((resolve) => setImmediate(resolve));
        }
      });
    };
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const reader = new BerReader(pending);
        if (reader.readSequence() === null || reader.remain < reader.length) return;
        const end = reader.offset + reader.length;
        const messageId = reader.readInt() ?? 0;
        const operation = reader.peek();
        if (operation === 0x60) {
          send(message(messageId, result(0x61, 0)));
        } else if (operation === 0x63) {
          reader.readSequence(0x63);
          const opEnd = reader.offset + reader.length;
          const base = reader.readString() ?? '';
          reader.offset = opEnd;
          const cookie = cookieOf(reader, end);
          searches.push({ messageId, base, ...(cookie === undefined ? {} : { cookie }) });
          const pages = options.bases[base];
          if (!pages) {
            send(message(messageId, result(0x65, 32)));
          } else {
            const index = cookie ? Number(cookie.slice(1)) : 0;
            const entries = pages[index] ?? [];
            for (const entry of entries) send(message(messageId, (w) => writeEntry(w, entry)));
            const next = index + 1 < pages.length ? `p${index + 1}` : '';
            send(
              message(messageId, result(0x65, 0), (w) =>
                new PagedResultsControl({ value: { size: 0, cookie: Buffer.from(next) } }).write(w),
              ),
            );
          }
        } else if (operation === 0x42) {
          socket.end();
        }
        pending = pending.subarray(end);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    searches,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
