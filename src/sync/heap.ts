import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Operations from which a run keeps its heap near its live data while it sends. */
export const HELD_FROM = 10_000;
/** Garbage let pile up above the live data before a collection: V8 alone let 150 MB and more. */
export const SLACK_BYTES = 64 * 1024 * 1024;
/** Operations between two looks at the heap. */
export const LOOK_EVERY = 1_000;

let collect: (() => void) | undefined | null;

/**
 * V8's full collection, as `--expose-gc` gives it (asked for once, in a context of its own,
 * which is how it is reached without starting node with the flag); null where that fails.
 */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

const used = (): number => getHeapStatistics().used_heap_size;

/**
 * After a directory read of HELD_FROM entries or more: one full collection, so that the rest of
 * the run starts from the live data and not from the read's garbage (decoded pages that lived
 * through a scavenge or two, promoted with the users). Without it a no-op of 100,000 users
 * peaked anywhere from 265 to 325 MB of RSS, depending on when V8 chose to collect; with it at
 * 245-255 MB, for 50-60 ms. True when it collected.
 */
export function collectAfterRead(entries: number): boolean {
  if (entries < HELD_FROM) return false;
  const gc = collector();
  if (!gc) return false;
  gc();
  return true;
}

/**
 * Keeps a long send's heap within SLACK_BYTES of its live data. During minutes of sending, V8
 * promotes the garbage of requests in flight and collects the old generation only when it has
 * grown to several times the live data: a 100,000-user initial sync peaked at about 355 MB of
 * RSS with some 85 MB live. A full collection when the heap has grown by SLACK_BYTES (tens of
 * milliseconds, every few tens of seconds), starting with the garbage the read and the plan
 * left. Undefined for smaller runs, or where the collector cannot be had.
 */
export class HeapCeiling {
  readonly #gc: () => void;
  #live: number;
  #count = 0;
  /** Full collections made (the first one included). */
  collections = 1;

  private constructor(gc: () => void) {
    this.#gc = gc;
    gc();
    this.#live = used();
  }

  /** The live data at the last collection, in bytes. */
  get live(): number {
    return this.#live;
  }

  /** For a send of this many operations: collects what the read and the plan left first. */
  static forSend(operations: number): HeapCeiling | undefined {
    if (operations < HELD_FROM) return undefined;
    const gc = collector();
    return gc ? new HeapCeiling(gc) : undefined;
  }

  /** Called as operations are sent. */
  tick(count = 1): void {
    const before = this.#count;
    this.#count += count;
    if (Math.floor(this.#count / LOOK_EVERY) === Math.floor(before / LOOK_EVERY)) return;
    if (used() < this.#live + SLACK_BYTES) return;
    this.#gc();
    this.collections += 1;
    this.#live = used();
  }
}
