import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors/codes';
import type { Logger } from '../log/logger';
import { EMPTY_NOTIFY_STATE, INCIDENT_KINDS, type NotifyState } from './incidents';

/** Where the rate limiter keeps what it notified, so a daemon restart does not notify again. */
export interface NotifyStateStore {
  load(): NotifyState;
  save(state: NotifyState): void;
}

/**
 * Next to the state database, named after it (`dirsync-state.db` -> `dirsync-state.notify.json`),
 * so two connectors sharing a folder keep separate files. A JSON file rather than a table: the
 * rate limiter's memory is disposable (losing it costs one extra mail), the snapshot is not.
 */
export function notifyStatePath(stateDbPath: string): string {
  const parsed = path.parse(stateDbPath);
  return path.join(parsed.dir, `${parsed.name}.notify.json`);
}

const OpenIncidentSchema = z.object({
  since: z.string(),
  runs: z.number().int().min(0),
  lastNotifiedAt: z.string().nullable(),
});

const StateSchema = z.object({
  version: z.literal(1),
  open: z.partialRecord(z.enum(INCIDENT_KINDS as [string, ...string[]]), OpenIncidentSchema),
});

export class JsonFileStateStore implements NotifyStateStore {
  readonly file: string;
  readonly #logger: Logger | undefined;

  constructor(file: string, logger?: Logger) {
    this.file = file;
    this.#logger = logger;
  }

  load(): NotifyState {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_NOTIFY_STATE;
      this.#logger?.warn('notification state unreadable: starting afresh', { file: this.file, error: errorMessage(err) });
      return EMPTY_NOTIFY_STATE;
    }
    try {
      return StateSchema.parse(JSON.parse(text)) as NotifyState;
    } catch {
      // A damaged file must not stop notifications: the worst case is one notification too many.
      this.#logger?.warn('notification state damaged: starting afresh', { file: this.file });
      return EMPTY_NOTIFY_STATE;
    }
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a file. */
  save(state: NotifyState): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** For tests and for a daemon that has nowhere to write. */
export class MemoryStateStore implements NotifyStateStore {
  #state: NotifyState = EMPTY_NOTIFY_STATE;

  load(): NotifyState {
    return this.#state;
  }

  save(state: NotifyState): void {
    this.#state = state;
  }
}
