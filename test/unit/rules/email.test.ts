import { normalizeEmail } from '../../../src/rules/email';

describe('normalizeEmail', () => {
  it('accepts a plain address and lower-cases only the domain', () => {
    expect(normalizeEmail(' Alice.Smith@Example.ORG ')).toEqual({
      ok: true,
      email: 'Alice.Smith@example.org',
      domain: 'example.org',
    });
  });

  it.each([
    [undefined, 'EMAIL_MISSING'],
    ['', 'EMAIL_MISSING'],
    ["d'arcy@example.org", 'EMAIL_APOSTROPHE'],
    ['d\u2019arcy@example.org', 'EMAIL_APOSTROPHE'],
    ['two@at@example.org', 'EMAIL_INVALID'],
    ['@example.org', 'EMAIL_INVALID'],
    ['nodomain@', 'EMAIL_INVALID'],
    ['user@localhost', 'EMAIL_INVALID'],
    ['a..b@example.org', 'EMAIL_INVALID'],
    ['sp ace@example.org', 'EMAIL_INVALID'],
    ['ctl\u0007@example.org', 'EMAIL_INVALID'],
  ])('%p is refused with %s', (raw, reason) => {
    expect(normalizeEmail(raw)).toMatchObject({ ok: false, reason });
  });
});
