import { renderTemplate, templateAttributes } from '../../../src/rules/template';

describe('username templates', () => {
  it('fills placeholders case-insensitively from first values', () => {
    expect(renderTemplate('{sAMAccountName}_{o}', { samaccountname: ['jdoe', 'other'], o: ['acme'] })).toEqual({
      ok: true,
      value: 'jdoe_acme',
    });
    expect(templateAttributes('{sAMAccountName}_{o}')).toEqual(['samaccountname', 'o']);
  });

  it('fails, naming every missing attribute', () => {
    expect(renderTemplate('{uid}.{o}', { uid: [''] })).toEqual({ ok: false, missing: ['uid', 'o'] });
  });
});
