import type { Entry } from 'ldapts';

/** Attribute values as strings; binary attributes listed in `binary` come back hex-free as Buffers. */
export type EntryAttributes = Record<string, string[]>;

export interface ReadEntry {
  readonly dn: string;
  /** Lower-cased attribute names. */
  readonly attributes: EntryAttributes;
  readonly binary: Record<string, Buffer[]>;
}

export function binarySetOf(binaryAttributes: readonly string[]): ReadonlySet<string> {
  return new Set(binaryAttributes.map((a) => a.toLowerCase()));
}

/** An ldapts entry (from toObject) as a ReadEntry. `binarySet`: lower-cased names, built once per search. */
export function toEntry(raw: Entry, binarySet: ReadonlySet<string>): ReadEntry {
  const attributes: EntryAttributes = {};
  const binary: Record<string, Buffer[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'dn') continue;
    const key = name.toLowerCase();
    const values = Array.isArray(value) ? value : [value];
    if (binarySet.has(key)) {
      binary[key] = values.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8')));
    } else {
      attributes[key] = values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
    }
  }
  return { dn: raw.dn, attributes, binary };
}

const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;
const SET = 0x31;

/** Thrown on bytes that are not a SearchResultEntry: ldapts turns it into a failed search. */
export class EntryDecodeError extends Error {
  override readonly name = 'EntryDecodeError';
}

/**
 * buffer.toString('utf8', start, end) without its argument checks and encoding lookup, which
 * cost more than the decoding itself for short values: Buffer's own utf8Slice, where it exists
 * (every Node release has it; it is not in the typings).
 */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (this: Buffer, start: number, end: number) => string }).utf8Slice;
const utf8: (buffer: Buffer, start: number, end: number) => string =
  typeof utf8Slice === 'function'
    ? (buffer, start, end) => utf8Slice.call(buffer, start, end)
    : (buffer, start, end) => buffer.toString('utf8', start, end);

/**
 * Attribute types seen, as the server's bytes and as lower-cased names. A server names the same
 * few attributes in every entry, in the same order: a type is matched against these bytes
 * (starting after the last one matched) instead of being decoded, hashed and lower-cased again.
 */
const typeBytes: Buffer[] = [];
const typeNames: string[] = [];
const MAX_TYPES = 64;
let nextType = 0;

function typeName(buffer: Buffer, start: number, end: number): string {
  const length = end - start;
  for (let tried = 0; tried < typeBytes.length; tried += 1) {
    const k = (nextType + tried) % typeBytes.length;
    const known = typeBytes[k] as Buffer;
    if (known.length !== length) continue;
    let i = 0;
    while (i < length && known[i] === buffer[start + i]) i += 1;
    if (i === length) {
      nextType = k + 1;
      return typeNames[k] as string;
    }
  }
  const name = utf8(buffer, start, end).toLowerCase();
  if (typeBytes.length < MAX_TYPES) {
    typeBytes.push(Buffer.from(buffer.subarray(start, end)));
    typeNames.push(name);
  }
  return name;
}

/**
 * Decodes the body of an LDAP SearchResultEntry (RFC 4511 4.5.2: objectName, then a SEQUENCE of
 * { type, SET OF value }) from `buffer` between `start` and `end`, straight into a ReadEntry.
 *
 * This is what ldapts' SearchEntry.parseMessage and toObject do between them, without the
 * Attribute object, the Buffer view and the TextDecoder call per value, nor the intermediate
 * object per entry: on a full read that was most of the time spent per entry, and most of the
 * garbage. Values decode as UTF-8 (invalid bytes become U+FFFD, as toEntry did with the Buffers
 * ldapts returned for them); attributes in `binarySet` (lower-cased) stay bytes, copied so they
 * do not keep the socket's read buffer alive.
 */
export function decodeSearchEntry(buffer: Buffer, start: number, end: number, binarySet: ReadonlySet<string>): ReadEntry {
  let pos = start;
  // Reads a tag and length at pos; returns the end of the value and leaves pos at its start.
  const open = (tag: number, limit: number): number => {
    if (pos + 2 > limit || buffer[pos] !== tag) throw new EntryDecodeError(`expected tag 0x${tag.toString(16)} at ${pos}`);
    let length = buffer[pos + 1] as number;
    pos += 2;
    if (length & 0x80) {
      const bytes = length & 0x7f;
      if (bytes === 0 || bytes > 4 || pos + bytes > limit) throw new EntryDecodeError(`bad length at ${pos}`);
      length = 0;
      for (let i = 0; i < bytes; i += 1) length = length * 256 + (buffer[pos + i] as number);
      pos += bytes;
    }
    const valueEnd = pos + length;
    if (valueEnd > limit) throw new EntryDecodeError(`value past the end of the entry at ${pos}`);
    return valueEnd;
  };
  const text = (valueEnd: number): string => {
    const s = valueEnd === pos ? '' : utf8(buffer, pos, valueEnd);
    pos = valueEnd;
    return s;
  };

  const dn = text(open(OCTET_STRING, end));
  const attributes: EntryAttributes = {};
  let binary: Record<string, Buffer[]> | undefined;
  const listEnd = open(SEQUENCE, end);
  while (pos < listEnd) {
    const attributeEnd = open(SEQUENCE, listEnd);
    const typeEnd = open(OCTET_STRING, attributeEnd);
    const type = typeName(buffer, pos, typeEnd);
    pos = typeEnd;
    const asBytes = binarySet.has(type);
    // Arrays built at their final length: an array grown by push from empty keeps room for 16
    // values, which for 100,000 entries of single values was most of the memory they held.
    let first: string | undefined;
    let values: string[] | undefined;
    let bytes: Buffer[] | undefined;
    if (pos < attributeEnd) {
      const setEnd = open(SET, attributeEnd);
      while (pos < setEnd) {
        const valueEnd = open(OCTET_STRING, setEnd);
        if (asBytes) {
          (bytes ??= []).push(Buffer.from(buffer.subarray(pos, valueEnd)));
          pos = valueEnd;
        } else if (first === undefined) {
          first = text(valueEnd);
        } else {
          (values ??= [first]).push(text(valueEnd));
        }
      }
    }
    pos = attributeEnd;
    if (asBytes) (binary ??= {})[type] = bytes ?? [];
    else attributes[type] = values ? values.slice() : first === undefined ? [] : [first];
  }
  return { dn, attributes, binary: binary ?? NO_BINARY };
}

/** Shared by entries without binary attributes (most of them): never written to. */
const NO_BINARY: Record<string, Buffer[]> = Object.freeze({}) as Record<string, Buffer[]>;
