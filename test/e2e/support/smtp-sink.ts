import { createServer, type Server, type Socket } from 'node:net';

/** A mail as the sink received it. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  /** The DATA section, dot-unstuffed, with CRLF line ends. */
  readonly data: string;
  /** The body of a single-part text mail, transfer encoding (quoted-printable, base64) undone. */
  readonly text: string;
  /** AUTH PLAIN/LOGIN credentials, when the client sent some. */
  readonly auth?: { readonly user: string; readonly password: string };
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: readonly ReceivedMail[];
  /** Resolves when `count` mails have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<readonly ReceivedMail[]>;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Answer every MAIL FROM with this error (e.g. "451 4.3.0 try later") to test failures. */
  readonly rejectWith?: string;
}

/**
 * A minimal SMTP server on 127.0.0.1 for tests (RFC 5321 subset: EHLO/HELO, AUTH PLAIN and
 * LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS, no pipelining). Written rather than
 * pulled in as a dependency: it is ~150 lines and the tests need to see exactly what arrived.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const waiters: { count: number; resolve: (m: readonly ReceivedMail[]) => void }[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffer = '';
    let mode: 'command' | 'data' | 'auth-user' | 'auth-password' = 'command';
    let from = '';
    let to: string[] = [];
    let data: string[] = [];
    let auth: ReceivedMail['auth'];
    let loginUser = '';
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

    const onLine = (line: string): void => {
      if (mode === 'data') {
        if (line === '.') {
          mode = 'command';
          const raw = data.join('\r\n');
          const mail: ReceivedMail = { from, to, data: raw, text: bodyText(raw), ...(auth ? { auth } : {}) };
          mails.push(mail);
          from = '';
          to = [];
          data = [];
          reply('250 2.0.0 queued');
          for (const w of waiters.filter((x) => mails.length >= x.count)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve([...mails]);
          }
          return;
        }
        data.push(line.startsWith('..') ? line.slice(1) : line);
        return;
      }
      if (mode === 'auth-user') {
        loginUser = decode(line);
        mode = 'auth-password';
        reply(`334 ${Buffer.from('Password:').toString('base64')}`);
        return;
      }
      if (mode === 'auth-password') {
        auth = { user: loginUser, password: decode(line) };
        mode = 'command';
        reply('235 2.7.0 authenticated');
        return;
      }
      const [verb = '', ...args] = line.split(' ');
      const rest = args.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
          reply('250-sink.test');
          reply('250-AUTH PLAIN LOGIN');
          reply('250 8BITMIME');
          return;
        case 'HELO':
          reply('250 sink.test');
          return;
        case 'AUTH': {
          const [mech = '', initial] = args;
          if (mech.toUpperCase() === 'PLAIN' && initial) {
            const [, user = '', password = ''] = decode(initial).split('\0');
            auth = { user, password };
            reply('235 2.7.0 authenticated');
          } else if (mech.toUpperCase() === 'LOGIN') {
            mode = 'auth-user';
            reply(`334 ${Buffer.from('Username:').toString('base64')}`);
          } else reply('504 5.5.4 mechanism not supported');
          return;
        }
        case 'MAIL':
          if (options.rejectWith) {
            reply(options.rejectWith);
            return;
          }
          from = /<([^>]*)>/.exec(rest)?.[1] ?? '';
          reply('250 2.1.0 ok');
          return;
        case 'RCPT':
          to.push(/<([^>]*)>/.exec(rest)?.[1] ?? '');
          reply('250 2.1.5 ok');
          return;
        case 'DATA':
          mode = 'data';
          reply('354 end data with <CR><LF>.<CR><LF>');
          return;
        case 'RSET':
          from = '';
          to = [];
          data = [];
          reply('250 2.0.0 ok');
          return;
        case 'NOOP':
          reply('250 2.0.0 ok');
          return;
        case 'QUIT':
          reply('221 2.0.0 bye');
          socket.end();
          return;
        default:
          reply('502 5.5.2 command not implemented');
      }
    };

    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        onLine(line);
      }
    });
    reply('220 sink.test ESMTP test sink');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('smtp sink: no port');

  return {
    port: address.port,
    mails,
    waitFor: (count, timeoutMs = 10_000) =>
      mails.length >= count
        ? Promise.resolve([...mails])
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`smtp sink: ${mails.length} of ${count} mails after ${timeoutMs} ms`)),
              timeoutMs,
            );
            waiters.push({
              count,
              resolve: (m) => {
                clearTimeout(timer);
                resolve(m);
              },
            });
          }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The body of a single-part mail, decoded from quoted-printable or base64 as its header says. */
export function bodyText(data: string): string {
  const split = data.indexOf('\r\n\r\n');
  const head = split >= 0 ? data.slice(0, split) : '';
  const body = split >= 0 ? data.slice(split + 4) : data;
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return body;
  const bytes = body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
