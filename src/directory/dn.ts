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
  const plain = plainForm(dn);
  if (plain === CANONICAL) return dn;
  if (plain === LOWER) return dn.toLowerCase();
  if (plain === TRIM) {
    const trimmed = normalizePlainDn(dn);
    if (trimmed !== undefined) return trimmed;
  }
  return normalizeDnGeneral(dn);
}

const CANONICAL = 0;
const LOWER = 1;
const TRIM = 2;
const GENERAL = 3;

/**
 * One pass over a DN: CANONICAL when it is already in canonical form (directories mostly send
 * DNs spelled that way, so most calls allocate nothing), LOWER when lower-casing is all it
 * needs, TRIM when spaces around separators go too, GENERAL when it holds a character that
 * escapeValue would not leave alone (anything but A-Z a-z 0-9 = , space . _ @ -) or an RDN with
 * a second '='.
 */
function plainForm(dn: string): number {
  let form = CANONICAL;
  let previous = 44; // ',' before the first RDN: a leading space is trimmed
  let equals = false;
  for (let i = 0; i < dn.length; i += 1) {
    const c = dn.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      // a-z
    } else if (c >= 65 && c <= 90) {
      if (form === CANONICAL) form = LOWER;
    } else if (c === 44) {
      if (previous === 32) form = TRIM;
      equals = false;
    } else if (c === 61) {
      if (equals) return GENERAL;
      equals = true;
      if (previous === 32) form = TRIM;
    } else if (c === 32) {
      if (previous === 44 || previous === 61) form = TRIM;
    } else if (!((c >= 48 && c <= 57) || c === 46 || c === 95 || c === 64 || c === 45)) {
      // Not 0-9 . _ @ -
      return GENERAL;
    }
    previous = c;
  }
  return previous === 32 ? TRIM : form;
}

/** A DN of plain characters (plainForm): each RDN's type and value trimmed, all lower-cased. */
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
