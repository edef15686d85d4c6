import { progressFor, terminalProgress } from '../../../src/cli/progress';

function fakeTerminal(): { isTTY: boolean; columns: number; text: () => string; write: (s: string) => boolean } {
  let out = '';
  return {
    isTTY: true,
    columns: 80,
    text: () => out,
    write: (s: string) => {
      out += s;
      return true;
    },
  };
}

describe('progress', () => {
  it('only for a terminal and never with --json', () => {
    expect(progressFor(fakeTerminal(), false, false)).toBeDefined();
    expect(progressFor(fakeTerminal(), true, false)).toBeUndefined();
    expect(progressFor({ ...fakeTerminal(), isTTY: false }, false, false)).toBeUndefined();
  });

  it('says what it reads, then draws the operations settled out of the total, ending at the total', () => {
    const term = fakeTerminal();
    const progress = terminalProgress(term, false);
    progress.reading('the directory');
    progress.read(19, 25);
    progress.sending(3);
    progress.settled();
    progress.settled();
    progress.settled();
    progress.stop();
    progress.stop(); // idempotent: run-sync stops it after apply and again when the run ends
    const text = term.text();
    expect(text).toContain('Reading users from the directory ...\n');
    expect(text).toMatch(/Read 19 user\(s\) in scope \(25 entries\) in \d+\.\ds\.\n/);
    expect(text).toContain('3/3 operations');
    expect(text).not.toContain('4/3');
    expect(text).not.toContain('\u001b[2m');
  });

  it('counts entries while the directory is read, on one line that the summary replaces', () => {
    const term = fakeTerminal();
    const progress = terminalProgress(term, false);
    progress.reading('the directory');
    progress.entries?.(500);
    progress.entries?.(500); // within 100 ms of the last draw: counted, not drawn
    progress.read(900, 1000);
    const text = term.text();
    const clear = '\r\u001b[2K';
    expect(text).toContain(`${clear}Read 500 entries (`);
    expect(text).not.toContain('Read 1000 entries');
    expect(text).toContain(`${clear}Read 900 user(s) in scope (1000 entries)`);
  });
});
