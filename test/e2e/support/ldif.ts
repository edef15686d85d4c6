export interface LdifRecord {
  dn: string;
  attributes: [string, string][];
}

/** A small LDIF content reader (RFC 2849 subset: comments, folding, base64 values). */
export function parseLdif(text: string): LdifRecord[] {
  const unfolded = text.replace(/\r?\n /g, '');
  const records: LdifRecord[] = [];
  for (const block of unfolded.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    if (lines.length === 0) continue;
    const pairs: [string, string][] = lines.map((line) => {
      const b64 = /^([^:]+):: ?(.*)$/.exec(line);
      if (b64) return [b64[1] as string, Buffer.from(b64[2] as string, 'base64').toString('utf8')];
      const plain = /^([^:]+): ?(.*)$/.exec(line);
      if (!plain) throw new Error(`bad LDIF line: ${line}`);
      return [plain[1] as string, plain[2] as string];
    });
    const [first, ...rest] = pairs;
    if (!first || first[0].toLowerCase() !== 'dn') throw new Error(`LDIF record without dn: ${lines[0]}`);
    records.push({ dn: first[1], attributes: rest });
  }
  return records;
}
