import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface PeerCertificate {
  /** Chain and host name verified against the configured CA (or the system's). */
  readonly authorized: boolean;
  /** OpenSSL's code when not authorized: CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ... */
  readonly error?: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  readonly altNames?: string;
}

export interface CertificateOptions {
  readonly caFile?: string | undefined;
  readonly startTls: boolean;
  readonly timeoutMs: number;
}

/** LDAP StartTLS extended request (RFC 4511 §4.14.1), message id 1, BER by hand: it never changes. */
const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
function startTlsRequest(): Buffer {
  const oid = Buffer.from(STARTTLS_OID, 'latin1');
  const ext = Buffer.concat([Buffer.from([0x80, oid.length]), oid]);
  const op = Buffer.concat([Buffer.from([0x77, ext.length]), ext]);
  const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x01]), op]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** resultCode of an ExtendedResponse ([APPLICATION 24], first element ENUMERATED). */
function startTlsResult(data: Buffer): number | undefined {
  const at = data.indexOf(0x78);
  if (at < 0) return undefined;
  let i = at + 1;
  const len = data[i] ?? 0;
  i += len & 0x80 ? 1 + (len & 0x7f) : 1;
  return data[i] === 0x0a && data[i + 1] === 0x01 ? data[i + 2] : undefined;
}

function name(dn: tls.Certificate | undefined): string {
  if (!dn) return '';
  return Object.entries(dn)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

function plainSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function upgradeWithStartTls(socket: net.Socket): Promise<void> {
  socket.write(startTlsRequest());
  const answer = await new Promise<Buffer>((resolve, reject) => {
    socket.once('data', resolve);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the server closed the connection after StartTLS')));
  });
  const code = startTlsResult(answer);
  if (code !== 0) throw new Error(`the server refused StartTLS (result code ${code ?? 'unreadable'})`);
}

/**
 * Opens its own TLS connection (ldapts hides its socket) to read the server's certificate
 * and whether it is trusted. Verification is done but not enforced, so an untrusted or
 * expired certificate can still be described.
 */
export async function fetchPeerCertificate(url: string, options: CertificateOptions): Promise<PeerCertificate> {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'ldaps:';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = Number(parsed.port || (secure ? 636 : 389));
  const ca = options.caFile ? readFileSync(options.caFile) : undefined;
  let raw: net.Socket | undefined;
  if (!secure) {
    raw = await plainSocket(host, port, options.timeoutMs);
    try {
      await upgradeWithStartTls(raw);
    } catch (err) {
      raw.destroy();
      throw err;
    }
  }
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      ...(raw ? { socket: raw } : { host, port }),
      ...(net.isIP(host) ? {} : { servername: host }),
      ...(ca ? { ca } : {}),
      host,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: false,
    });
    socket.setTimeout(options.timeoutMs, () => socket.destroy(new Error(`no TLS answer from ${host}:${port}`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const error = socket.authorizationError;
      socket.end();
      resolve({
        authorized: socket.authorized,
        ...(error ? { error: typeof error === 'string' ? error : String((error as Error).message) } : {}),
        subject: name(cert.subject),
        issuer: name(cert.issuer),
        validFrom: new Date(cert.valid_from),
        validTo: new Date(cert.valid_to),
        ...(cert.subjectaltname ? { altNames: cert.subjectaltname } : {}),
      });
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}
