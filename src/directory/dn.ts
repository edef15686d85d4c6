/**
 * Canonical form of a DN for comparisons: attribute types and values lower-cased, spaces
 * around separators dropped, escapes decoded and re-encoded one way. Directories hand the same
 * DN back in different spellings (`CN=A,OU=B` in member, `cn=a, ou=b` in config, `\2C` or `\,`).
 * Not a full RFC 4514 parser: multi-valued RDNs are kept in their given order.
 */
export function normalizeDn(dn: string): string {
  // Most DNs hold no escapes, quotes, '+' or other specials: lower-casing and trimming is then
  // all the canonical form asks for, without the byte-level decoding (a full read normalizes
  // every user and member DN, so this is the hot path of a large sync).
  if (PLAIN_DN.test(dn)) {
    const plain = normalizePlainDn(dn);
    if (plain !== undefined) return plain;
  }
  return normalizeDnGeneral(dn);
}

/** Characters that escapeValue leaves alone ('=' is checked per RDN: only the first may appear). */
const PLAIN_DN = /^[A-Za-z0-9=, ._@-]*$/;

function normalizePlainDn(dn: string): string | undefined {
  const parts = dn.split(',');
  for (let k = 0; k < parts.length; k += 1) {
    const part = parts[k] as string;
    const eq = part.indexOf('=');
    if (eq < 0) {
      parts[k] = part.trim().toLowerCase();
      continue;
    }
    if (part.indexOf('=', eq + 1) >= 0) return undefined;
    parts[k] = `${part.slice(0, eq).trim()}=${part.slice(eq + 1).trim()}`.toLowerCase();
  }
  return parts.join(',');
}

/** The full normalization; exported so tests can check the fast path against it. */
export function normalizeDnGeneral(dn: string): string {
  const rdns: string[] = [];
  let current = '';
  let i = 0;
  const flush = (): void => {
    rdns.push(normalizeRdn(current));
    current = '';
  };
  while (i < dn.length) {
    const ch = dn[i] as string;
    if (ch === '\\' && i + 1 < dn.length) {
      current += dn.slice(i, i + 2);
      // Hex pair escapes are two characters after the backslash.
      if (/[0-9a-fA-F]/.test(dn[i + 1] as string) && /[0-9a-fA-F]/.test(dn[i + 2] ?? '')) {
        current += dn[i + 2];
        i += 3;
      } else {
        i += 2;
      }
      continue;
    }
    if (ch === ',' || ch === ';') {
      flush();
      i += 1;
      continue;
    }
    current += ch;
    i += 1;
  }
  if (current.trim() || rdns.length > 0) flush();
  return rdns.join(',');
}

function normalizeRdn(rdn: string): string {
  return splitUnescaped(rdn, '+')
    .map((ava) => {
      const eq = ava.indexOf('=');
      if (eq < 0) return ava.trim().toLowerCase();
      const type = ava.slice(0, eq).trim().toLowerCase();
      const value = escapeValue(unescapeValue(ava.slice(eq + 1).trim()));
      return `${type}=${value.toLowerCase()}`;
    })
    .join('+');
}

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i += 1) {
    const ch = s[i] as string;
    if (ch === '\\' && i + 1 < s.length) {
      current += ch + (s[i + 1] as string);
      i += 1;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Decodes `\,` and `\2C` style escapes into raw bytes, then UTF-8. */
function unescapeValue(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const ch = value[i] as string;
    if (ch === '\\' && i + 1 < value.length) {
      const pair = value.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(pair)) {
        bytes.push(parseInt(pair, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(value[i + 1] as string, 'utf8'));
        i += 1;
      }
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 4514 escaping, one canonical spelling. */
function escapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i += 1) {
    const ch = value[i] as string;
    const special = ',+"\\<>;='.includes(ch);
    const leading = i === 0 && (ch === '#' || ch === ' ');
    const trailing = i === value.length - 1 && ch === ' ';
    if (special || leading || trailing) out += `\\${ch}`;
    else if (ch === '\0') out += '\\00';
    else out += ch;
  }
  return out;
}

/** RFC 4515 escaping for a value placed inside a search filter. */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte === 0x2a || byte === 0x28 || byte === 0x29 || byte === 0x5c || byte === 0 || byte > 0x7e) {
      out += `\\${byte.toString(16).padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}
