import { SingleBar } from 'cli-progress';
import type { SyncProgress } from '../sync/run-sync';
import { paint } from './tty';

interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

/**
 * A manual plan or sync in a terminal: what is being read, how many users, then a bar of the
 * operations settled with an ETA. On stderr, so stdout keeps only the report (or the --json).
 * cli-progress draws the bar: it redraws one line in place, throttled, computes the ETA from the
 * recent rate and clears itself, which is the fiddly part of a terminal bar.
 */
export function terminalProgress(stream: ProgressStream, colour: boolean): SyncProgress {
  let bar: SingleBar | undefined;
  let readStarted = 0;
  let seen = 0;
  let lastDrawn = 0;
  let drawn = false;
  let total = 0;
  let settled = 0;
  const line = (text: string): void => {
    stream.write(`${text}\n`);
  };
  return {
    reading(source) {
      readStarted = Date.now();
      line(paint(`Reading users from ${source} ...`, 'dim', colour));
    },
    entries(count) {
      // One line rewritten in place while the pages arrive; at most every 100 ms.
      seen += count;
      const now = Date.now();
      if (now - lastDrawn < 100) return;
      lastDrawn = now;
      const seconds = (now - readStarted) / 1000;
      const rate = seconds > 0 ? Math.round(seen / seconds) : 0;
      stream.write(`\r\u001b[2KRead ${seen} entries (${rate}/s) ...`);
      drawn = true;
    },
    read(users, entries) {
      const seconds = ((Date.now() - readStarted) / 1000).toFixed(1);
      if (drawn) stream.write('\r\u001b[2K');
      drawn = false;
      line(`Read ${users} user(s) in scope (${entries} entries) in ${seconds}s.`);
    },
    sending(operations) {
      total = operations;
      bar = new SingleBar({
        stream: stream as unknown as NodeJS.WritableStream,
        format: 'Sending  {bar} {value}/{total} operations  ETA {eta_formatted}',
        barsize: Math.max(10, Math.min(30, (stream.columns ?? 80) - 50)),
        barCompleteChar: '#',
        barIncompleteChar: '-',
        hideCursor: true,
        clearOnComplete: false,
        noTTYOutput: false,
        etaBuffer: 20,
        fps: 10,
      });
      bar.start(operations, 0);
    },
    settled() {
      // A bulk request's operations arrive together.
      settled = Math.min(total, settled + 1);
      bar?.update(settled);
    },
    stop() {
      if (!bar) return;
      bar.update(settled);
      bar.stop();
      bar = undefined;
    },
  };
}

/** Progress only for a person at a terminal: never with --json, in a pipe or in the daemon. */
export function progressFor(stream: ProgressStream, json: boolean, colour: boolean): SyncProgress | undefined {
  return stream.isTTY === true && !json ? terminalProgress(stream, colour) : undefined;
}
