import type { UserProfile } from '../model/directory-user';
import { normalizeEmail } from './email';
import { renderTemplate } from './template';
import { normalizeUsername, type UsernameOptions } from './username';

export interface ProfileOptions extends UsernameOptions {
  readonly usernameTemplate: string;
  readonly attributes: {
    readonly email: string;
    readonly givenName: string;
    readonly familyName: string;
    readonly displayName: string;
  };
}

function describeUsernameFailure(reason: 'USERNAME_TOO_SHORT' | 'USERNAME_TOO_LONG', userName: string): string {
  return reason === 'USERNAME_TOO_SHORT'
    ? `username "${userName}" is shorter than 6 characters`
    : `username is ${userName.length} characters, longer than 128`;
}

type Attributes = Readonly<Record<string, readonly string[]>>;

/**
 * The rules that need only the entry itself, in the order they are reported: username
 * template, username characters and length, email, then names (display name falls back to
 * "given family", then the username). Pure; the same for every caller, so a profile computed as
 * the entry was read and one computed later from its attributes are equal.
 */
export function profiler(options: ProfileOptions): (attributes: Attributes) => UserProfile {
  const emailKey = options.attributes.email.toLowerCase();
  const givenKey = options.attributes.givenName.toLowerCase();
  const familyKey = options.attributes.familyName.toLowerCase();
  const displayKey = options.attributes.displayName.toLowerCase();
  const first = (attrs: Attributes, name: string): string => (attrs[name]?.[0] ?? '').trim();
  return (attributes) => {
    const rendered = renderTemplate(options.usernameTemplate, attributes);
    if (!rendered.ok) {
      return {
        ok: false,
        reason: 'USERNAME_MISSING',
        message: `username template needs ${rendered.missing.join(', ')}, which the entry lacks`,
      };
    }
    const userName = normalizeUsername(rendered.value, options);
    if (!userName.ok)
      return { ok: false, reason: userName.reason, message: describeUsernameFailure(userName.reason, userName.userName) };
    const email = normalizeEmail(attributes[emailKey]?.[0]);
    if (!email.ok) return { ok: false, reason: email.reason, message: email.detail };
    const givenName = first(attributes, givenKey);
    const familyName = first(attributes, familyKey);
    const displayName = first(attributes, displayKey) || [givenName, familyName].filter(Boolean).join(' ') || userName.userName;
    return { ok: true, userName: userName.userName, email: email.email, givenName, familyName, displayName };
  };
}
