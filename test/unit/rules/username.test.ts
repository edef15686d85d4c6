import { foldAccents, normalizeUsername } from '../../../src/rules/username';

const plain = { foldAccents: false, usernameCase: 'preserve' } as const;

describe('normalizeUsername (DOMAIN.md rule)', () => {
  it.each([
    ['alice.smith', 'alice.smith'],
    ['anna maria', 'anna_maria'],
    ['tom+jerry', 'tom_jerry'],
    ['team#1x', 'team_1x'],
    ["o'brien.k", 'o_brien.k'],
    ['first_last', 'first_last'],
    ['a@b.c-d_e', 'a@b.c-d_e'],
    ['josé.garcía', 'jos_.garc_a'],
    ['emoji😀user', 'emoji_user'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeUsername(raw, plain)).toEqual({ ok: true, userName: expected });
  });

  it('counts one underscore per code point, not per UTF-16 unit', () => {
    const result = normalizeUsername('ab😀😀cd', plain);
    expect(result).toEqual({ ok: true, userName: 'ab__cd' });
  });

  it('folds accents only when asked', () => {
    expect(normalizeUsername('josé.garcía', { ...plain, foldAccents: true })).toEqual({ ok: true, userName: 'jose.garcia' });
    expect(foldAccents('Zoë Brontë')).toBe('Zoe Bronte');
  });

  it('lower-cases only when asked', () => {
    expect(normalizeUsername('Alice.Smith', plain)).toEqual({ ok: true, userName: 'Alice.Smith' });
    expect(normalizeUsername('Alice.Smith', { ...plain, usernameCase: 'lower' })).toEqual({ ok: true, userName: 'alice.smith' });
  });

  it('rejects names shorter than 6 or longer than 128 characters, never pads or cuts', () => {
    expect(normalizeUsername('bo', plain)).toEqual({ ok: false, reason: 'USERNAME_TOO_SHORT', userName: 'bo' });
    expect(normalizeUsername('abcdef', plain).ok).toBe(true);
    expect(normalizeUsername('a'.repeat(128), plain).ok).toBe(true);
    const long = normalizeUsername('a'.repeat(129), plain);
    expect(long).toMatchObject({ ok: false, reason: 'USERNAME_TOO_LONG' });
  });
});
