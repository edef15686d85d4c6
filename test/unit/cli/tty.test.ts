import { doctorExitCode, doctorText } from '../../../src/cli/commands/doctor';
import { colourEnabled, paint, wrap } from '../../../src/cli/tty';
import { fail, pass, warn } from '../../../src/doctor/check';

describe('terminal output', () => {
  it('colours only on a TTY, never with NO_COLOR or TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(paint('x', 'red', false)).toBe('x');
    expect(paint('x', 'red', true)).toBe('\u001b[31mx\u001b[39m');
  });

  it('wraps at the width with an indent', () => {
    expect(wrap('aaa bbb ccc ddd', 8, '  ')).toEqual(['aaa bbb', '  ccc', '  ddd']);
  });

  it('doctor output fits 80 columns, names the fix, and the first failure decides the exit code', () => {
    const result = {
      file: 'c.yaml',
      ok: false,
      checks: [
        pass('config', 'config c.yaml: valid'),
        warn('product', 'users of unverified domains: 3 of 10 would land Unverified and need email activation', 'verify them', [
          'x.com: 3',
        ]),
        fail(
          'directory',
          `bind as cn=svc,${'ou=service accounts,'.repeat(4)}dc=example,dc=org to ldaps://dc1:636: invalid credentials`,
          'check the password',
        ),
        fail('target', 'API token: 401', 'set the token'),
      ],
    };
    const text = doctorText(result, 80, false);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toContain('      fix: check the password');
    expect(text).toContain('      - x.com: 3');
    expect(text).toMatch(/Not ready: 1 passed, 1 warning\(s\), 2 failed/);
    expect(doctorExitCode(result)).toBe(3);
    expect(doctorExitCode({ ...result, checks: [result.checks[0], result.checks[3]].filter((c) => c !== undefined) })).toBe(4);
    expect(doctorExitCode({ ...result, ok: true, checks: [pass('config', 'ok')] })).toBe(0);
  });
});
