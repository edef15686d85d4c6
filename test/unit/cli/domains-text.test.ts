import { domainsText } from '../../../src/cli/commands/domains';
import type { DomainRow } from '../../../src/doctor/domains';

function row(domain: string, figures: Partial<DomainRow>): DomainRow {
  return {
    domain,
    verified: true,
    managed: 0,
    active: 0,
    pending: 0,
    inactive: 0,
    skipped: 0,
    needsConsolidation: 0,
    consolidationRate: undefined,
    ...figures,
  };
}

// 6 of 10 known accounts inside the organisation: 60 %, below the 75 % recommendation.
const BELOW = row('below.example', {
  managed: 6,
  active: 5,
  inactive: 1,
  skipped: 3,
  needsConsolidation: 4,
  consolidationRate: 0.6,
});
// 8 of 10: 80 %, above it.
const ABOVE = row('above.example', { managed: 8, active: 8, needsConsolidation: 2, consolidationRate: 0.8 });
// Exactly 3 of 4: 75 % counts as reached.
const AT = row('at.example', { managed: 3, active: 3, needsConsolidation: 1, consolidationRate: 0.75 });

/** The cells of the table line of a domain, split on the column gaps. */
function cellsOf(text: string, domain: string): string[] {
  const line = text.split('\n').find((l) => l.endsWith(` ${domain}`));
  if (!line) throw new Error(`no table line for ${domain} in:\n${text}`);
  return line.split(/ {2,}/);
}

describe('dirsync report domains: the text', () => {
  const wide = domainsText([ABOVE, AT, BELOW], 'run-42', 400);

  it('a domain below 75 %: the line recommending to consolidate before enforcing single sign-on', () => {
    expect(wide).toContain(
      'below.example: 60 % consolidated, below the 75 % vendors recommend before enforcing single sign-on: invite the 4 remaining account(s) to consolidate first.',
    );
  });

  it('a domain at or above 75 %: said so, and no recommendation to consolidate first', () => {
    expect(wide).toContain(
      'above.example: 80 % consolidated, at or above the 75 % vendors recommend before enforcing single sign-on.',
    );
    expect(wide).toContain('at.example: 75 % consolidated, at or above the 75 %');
    expect(wide).not.toMatch(/above\.example: .*below the 75 %/);
    expect(wide).not.toMatch(/at\.example: .*below the 75 %/);
  });

  it('the SKIP column holds the skipped users, apart from those needing consolidation', () => {
    const lines = wide.split('\n');
    expect(lines[0]?.split(/ {2,}/)).toEqual([
      'VERIF',
      'MANAGED',
      'ACTIVE',
      'PENDING',
      'INACT',
      'SKIP',
      'CONSOL',
      'RATE',
      'DOMAIN',
    ]);
    expect(cellsOf(wide, 'below.example')).toEqual(['yes', '6', '5', '0', '1', '3', '4', '60 %', 'below.example']);
    expect(cellsOf(wide, 'above.example')).toEqual(['yes', '8', '8', '0', '0', '0', '2', '80 %', 'above.example']);
  });

  it('names the sync the figures come from, and fits 80 columns', () => {
    const narrow = domainsText([ABOVE, BELOW], 'run-42', 80);
    expect(narrow).toContain('from the last sync, run-42');
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(narrow.replace(/\n\s*/g, ' ')).toContain('below.example: 60 % consolidated, below the 75 % vendors recommend');
  });

  it('no rate line for a domain without known accounts or an unknown one', () => {
    const text = domainsText([row('(unknown)', { skipped: 2 }), row('none.example', { managed: 0 })], undefined, 400);
    expect(text).not.toContain('consolidated');
    expect(text).toContain('no sync report found in reports.dir');
  });
});
