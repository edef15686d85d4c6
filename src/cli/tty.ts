/** Colours and widths for terminal output: plain ANSI codes, used only on a TTY and never with NO_COLOR. */
export type Colour = 'red' | 'green' | 'yellow' | 'dim' | 'bold';

const CODES: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** https://no-color.org: any non-empty NO_COLOR turns colours off; so does a pipe or TERM=dumb. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function paint(text: string, colour: Colour, enabled: boolean): string {
  if (!enabled) return text;
  const [on, off] = CODES[colour];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** Output width: the terminal's, else 80 (what a log file or a pasted ticket reads best at). */
export function columnsOf(stream: { columns?: number }): number {
  return stream.columns && stream.columns > 20 ? stream.columns : 80;
}

/** Breaks `text` at spaces so no line is longer than `width`; continuation lines get `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if (candidate.length > width && line) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Fits one line of a report to `width`, keeping its indent; continuation lines are indented four
 * more. A single word longer than the width (a long DN) stays whole: cutting it would lose data.
 */
/**
 * Width for a command's output: the terminal's, or none when piped, so scripts and grep see
 * whole lines and uncut table cells.
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY ? columnsOf(stream) : Number.POSITIVE_INFINITY;
}

export function fitLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^ */.exec(line)?.[0] ?? '';
  return wrap(line.slice(indent.length), width - indent.length, '    ').map((l) => `${indent}${l}`);
}
