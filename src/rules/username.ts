export const USERNAME_MIN = 6;
export const USERNAME_MAX = 128;

export interface UsernameOptions {
  readonly foldAccents: boolean;
  readonly usernameCase: 'preserve' | 'lower';
}

export type UsernameResult =
  | { readonly ok: true; readonly userName: string }
  | { readonly ok: false; readonly reason: 'USERNAME_TOO_SHORT' | 'USERNAME_TOO_LONG'; readonly userName: string };

const ALLOWED = /^[A-Za-z0-9@.\-_]$/;

/** é -> e, ß stays (it has no decomposition) and then becomes "_" like any other non-ASCII. */
export function foldAccents(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '');
}

/**
 * The product's rule: every character other than ASCII letters, digits, "@", "." and "-"
 * ("_" is kept as it is) becomes "_", one per character (code point, so an emoji is one "_").
 * A name outside 6..128 characters is rejected, never padded or cut: a cut name could collide.
 */
export function normalizeUsername(raw: string, options: UsernameOptions): UsernameResult {
  const source = options.foldAccents ? foldAccents(raw) : raw.normalize('NFC');
  let userName = '';
  for (const ch of source) userName += ALLOWED.test(ch) ? ch : '_';
  if (options.usernameCase === 'lower') userName = userName.toLowerCase();
  if (userName.length < USERNAME_MIN) return { ok: false, reason: 'USERNAME_TOO_SHORT', userName };
  if (userName.length > USERNAME_MAX) return { ok: false, reason: 'USERNAME_TOO_LONG', userName };
  return { ok: true, userName };
}
