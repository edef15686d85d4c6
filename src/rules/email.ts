export type EmailResult =
  | { readonly ok: true; readonly email: string; readonly domain: string }
  | { readonly ok: false; readonly reason: 'EMAIL_MISSING' | 'EMAIL_INVALID' | 'EMAIL_APOSTROPHE'; readonly detail: string };

// Printable ASCII without space, "@", quotes or angle brackets; a deliberately plain subset that
// every provisioning API accepts. Quoted local parts are legal in RFC 5321 but not in products.
const LOCAL = /^[A-Za-z0-9!#$%&*+/=?^_`{|}~.-]+$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Email is required; no apostrophe (the product refuses it); the domain is lower-cased. */
export function normalizeEmail(raw: string | undefined): EmailResult {
  const value = (raw ?? '').trim();
  if (!value) return { ok: false, reason: 'EMAIL_MISSING', detail: 'no email address' };
  if (value.includes("'") || value.includes('\u2019')) {
    return { ok: false, reason: 'EMAIL_APOSTROPHE', detail: `email "${value}" contains an apostrophe` };
  }
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) {
    return { ok: false, reason: 'EMAIL_INVALID', detail: `email "${value}" must have exactly one "@" with text before it` };
  }
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).toLowerCase();
  const labels = domain.split('.');
  const localOk = LOCAL.test(local) && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
  const domainOk = labels.length >= 2 && labels.every((l) => LABEL.test(l)) && value.length <= 254 && local.length <= 64;
  if (!localOk || !domainOk) return { ok: false, reason: 'EMAIL_INVALID', detail: `email "${value}" is not a valid address` };
  return { ok: true, email: `${local}@${domain}`, domain };
}
