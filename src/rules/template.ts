export type TemplateResult =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly missing: readonly string[] };

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9-]*)\}/g;

/** Attribute names a template reads, lower-cased (directory attributes are case-insensitive). */
export function templateAttributes(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => (m[1] as string).toLowerCase());
}

/** Fills "{attr}" with the attribute's first value; any missing attribute fails the whole template. */
export function renderTemplate(template: string, attributes: Readonly<Record<string, readonly string[]>>): TemplateResult {
  const missing: string[] = [];
  const value = template.replace(PLACEHOLDER, (_whole, name: string) => {
    const v = attributes[name.toLowerCase()]?.[0];
    if (v === undefined || v === '') {
      missing.push(name);
      return '';
    }
    return v;
  });
  return missing.length > 0 ? { ok: false, missing } : { ok: true, value };
}
