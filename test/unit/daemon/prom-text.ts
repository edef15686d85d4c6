/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: every line is a
 * comment or `name{labels} value [timestamp]`, every sample belongs to a declared family, and
 * anything else throws with the line number.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** As Go's ParseFloat reads it (the format's definition): Inf and NaN in any case, as prom-client writes "Nan". */
function parseValue(text: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let s = text.slice(1);
  for (;;) {
    s = s.replace(/^\s*/, '');
    if (s.startsWith('}')) return { labels, rest: s.slice(1) };
    const name = LABEL_NAME.exec(s)?.[0];
    if (!name) throw new Error(`line ${line}: bad label name in ${JSON.stringify(text)}`);
    s = s.slice(name.length);
    if (!s.startsWith('="')) throw new Error(`line ${line}: expected =" after label ${name}`);
    s = s.slice(2);
    let value = '';
    for (;;) {
      const c = s[0];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      s = s.slice(1);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[0];
        s = s.slice(1);
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new Error(`line ${line}: bad escape \\${String(e)}`);
      } else value += c;
    }
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    labels[name] = value;
    s = s.replace(/^\s*/, '');
    if (s.startsWith(',')) s = s.slice(1);
    else if (!s.startsWith('}')) throw new Error(`line ${line}: expected , or } after label ${name}`);
  }
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(raw);
      if (type?.[1] && type[2]) {
        if (!TYPES.has(type[2])) throw new Error(`line ${line}: unknown type ${type[2]}`);
        if (types.has(type[1])) throw new Error(`line ${line}: TYPE of ${type[1]} twice`);
        types.set(type[1], type[2]);
      } else if (raw.startsWith('# TYPE')) throw new Error(`line ${line}: bad TYPE line`);
      return;
    }
    const name = NAME.exec(raw)?.[0];
    if (!name) throw new Error(`line ${line}: no metric name: ${JSON.stringify(raw)}`);
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2) throw new Error(`line ${line}: expected "value [timestamp]"`);
    const value = parseValue(parts[0] ?? '', line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    if (!familyOf(name, types)) throw new Error(`line ${line}: sample ${name} before its # TYPE`);
    samples.push({ name, labels, value });
  });
  return { samples, types };
}

/** The value of the one sample with this name and (at least) these labels; throws when not exactly one. */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return (found[0] as Sample).value;
}
