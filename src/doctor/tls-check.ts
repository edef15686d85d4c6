import type { DirectoryConfig } from '../config/schema';
import { errorMessage } from '../errors/codes';
import { fetchPeerCertificate } from './certificate';
import { fail, pass, warn, type Check } from './check';

/** A certificate expiring sooner than this is a warning: renewals take change windows. */
const EXPIRY_WARNING_DAYS = 30;

const day = (d: Date): string => d.toISOString().slice(0, 10);

function untrustedFix(error: string, caFile: string | undefined, validTo: Date, altNames: string | undefined): string {
  if (error === 'CERT_HAS_EXPIRED') return `the certificate expired on ${day(validTo)}: renew the directory server's certificate`;
  if (error === 'CERT_NOT_YET_VALID') return 'the certificate is not valid yet: check the clocks of this machine and the server';
  if (/ALTNAME|HOSTNAME/i.test(error))
    return `connect with a host name the certificate names (${altNames ?? 'see its subject'}) in directory.url`;
  return caFile
    ? `directory.tls.caFile (${caFile}) is not the CA that signed this certificate: use the PEM of the issuing CA`
    : 'set directory.tls.caFile to the PEM file of the CA that signed it (for a self-signed certificate, the certificate itself)';
}

/** Reachable, TLS certificate trusted and in date, with its expiry shown. */
export async function fetchCertificate(
  url: string,
  config: Pick<DirectoryConfig, 'tls' | 'timeoutMs'>,
): Promise<{ ok: boolean; checks: Check[] }> {
  const how = url.toLowerCase().startsWith('ldaps://') ? 'TLS' : 'StartTLS';
  try {
    const cert = await fetchPeerCertificate(url, {
      caFile: config.tls.caFile,
      startTls: config.tls.startTls,
      timeoutMs: config.timeoutMs,
    });
    const reach = pass('directory', `${url}: reachable`);
    const subject = `${cert.subject || 'no subject'}; issuer ${cert.issuer || 'unknown'}`;
    if (!cert.authorized) {
      const error = cert.error ?? 'not trusted';
      return {
        ok: false,
        checks: [
          reach,
          fail(
            'directory',
            `${how} certificate of ${url}: NOT trusted (${error}), valid ${day(cert.validFrom)} to ${day(cert.validTo)} (${subject})`,
            untrustedFix(error, config.tls.caFile, cert.validTo, cert.altNames),
          ),
        ],
      };
    }
    const daysLeft = Math.floor((cert.validTo.getTime() - Date.now()) / 86_400_000);
    const message = `${how} certificate of ${url}: trusted, expires ${day(cert.validTo)} (${daysLeft} days left; ${subject})`;
    return {
      ok: true,
      checks: [
        reach,
        daysLeft < EXPIRY_WARNING_DAYS
          ? warn('directory', message, "renew the directory server's certificate before it expires")
          : pass('directory', message),
      ],
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const fix =
      code === 'ECONNREFUSED'
        ? `nothing listens on ${url}: check directory.url (ldaps:// is usually port 636, ldap:// 389) and that the server runs`
        : code === 'ENOTFOUND'
          ? `the host of ${url} is not known to DNS: check directory.url`
          : /StartTLS/.test(errorMessage(err))
            ? 'the server does not offer StartTLS: use ldaps://, or enable TLS on the server'
            : `check directory.url, the firewall, and that the server speaks ${how === 'TLS' ? 'LDAPS on this port' : 'LDAP with StartTLS'}`;
    return { ok: false, checks: [fail('directory', `${url}: not reachable over ${how} (${errorMessage(err)})`, fix)] };
  }
}
