import { csvCell, csvLine, parseCsv } from '../../../src/report/csv';
import { reportCsv } from '../../../src/report/files';

describe('CSV', () => {
  it('quotes what needs quoting and round-trips', () => {
    const cells = ['plain', 'with,comma', 'with "quotes"', 'line\nbreak', ' padded ', 'uid=tom\\2Bjerry,ou=people'];
    expect(parseCsv(`${csvLine(cells)}\r\n`)).toEqual([cells]);
  });

  it('defuses spreadsheet formulas from directory values', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-2')).toBe("'-2");
  });

  it('writes one row per operation, skipped user, unreadable scope and held change', () => {
    const rows = parseCsv(
      reportCsv({
        runId: 'r1',
        operations: [
          { kind: 'update', userName: 'bob', dn: 'uid=bob', status: 'done', changes: [{ field: 'email' }, { field: 'role' }] },
          { kind: 'create', userName: 'eve', dn: 'uid=eve', status: 'failed', code: 'TARGET_HTTP', error: 'answered 400' },
        ],
        skipped: [{ dn: 'uid=bo', reason: 'USERNAME_TOO_SHORT', message: 'too short' }],
        directory: { problems: [{ scope: 'group cn=x', reason: 'the group does not exist' }] },
        held: ['1 user(s) absent from this read were not deactivated'],
      }),
    );
    expect(rows).toEqual([
      ['record', 'action', 'userName', 'dn', 'status', 'code', 'detail'],
      ['operation', 'update', 'bob', 'uid=bob', 'done', '', 'email role'],
      ['operation', 'create', 'eve', 'uid=eve', 'failed', 'TARGET_HTTP', 'answered 400'],
      ['skipped', '', '', 'uid=bo', 'skipped', 'USERNAME_TOO_SHORT', 'too short'],
      ['problem', '', '', 'group cn=x', 'incomplete', 'DIRECTORY_SCOPE', 'the group does not exist'],
      ['held', '', '', '', 'held', '', '1 user(s) absent from this read were not deactivated'],
    ]);
  });
});
