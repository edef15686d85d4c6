import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { EventEmitter } from 'node:events';
import { errorMessage } from '../errors/codes';
import { pruneOldFiles } from '../files/prune-old-files';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const SECRET_KEYS = /pass(word)?|secret|token|authorization|credential/i;

/** Drops values under secret-looking keys, wherever they are nested, before any transport sees them. */
const redact = winston.format((info) => {
  const scrub = (value: unknown, depth: number): unknown => {
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : scrub(v, depth + 1);
    return out;
  };
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
    else info[key] = scrub(info[key], 0);
  }
  return info;
});

export interface LoggerOptions {
  readonly level: LogLevel;
  /** JSON lines instead of human-readable text. */
  readonly json?: boolean;
  /** Write to stderr so that stdout stays clean for --json output. */
  readonly stream?: NodeJS.WritableStream;
  readonly silent?: boolean;
  /** A stricter level for the console only (e.g. --quiet), the file keeps `level`. */
  readonly consoleLevel?: LogLevel;
  /** Also write JSON lines to a file per day in `dir`, keeping `keepDays` days. */
  readonly file?: { readonly dir: string; readonly keepDays: number };
}

const human = winston.format.printf((info) => {
  const { level, message, timestamp, ...meta } = info;
  const rest = Object.entries(meta)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${rest ? ` ${rest}` : ''}`;
});

/** The daily files createLogger writes (`dirsync-YYYY-MM-DD.log`); nothing else in the folder is touched. */
const LOG_FILE = /^dirsync-\d{4}-\d{2}-\d{2}\.log$/;

/**
 * Deletes daily log files not written to for more than `keepDays` days; returns how many.
 * winston-daily-rotate-file prunes only the files listed in its audit file, and only when it
 * opens a new one: files it lost track of (an audit file deleted or overwritten by another
 * process writing the same folder) would otherwise stay forever.
 */
export function pruneLogs(dir: string, keepDays: number, now: Date = new Date()): number {
  return pruneOldFiles(dir, LOG_FILE, keepDays, now);
}

export function createLogger(options: LoggerOptions): Logger {
  const transports: winston.transport[] = [
    new winston.transports.Stream({
      stream: options.stream ?? process.stderr,
      format: options.json ? winston.format.json() : human,
      silent: options.silent ?? false,
      ...(options.consoleLevel ? { level: options.consoleLevel } : {}),
    }),
  ];
  const file = options.file;
  if (file) {
    pruneLogs(file.dir, file.keepDays);
    const rotating = new DailyRotateFile({
      dirname: file.dir,
      filename: 'dirsync-%DATE%.log',
      datePattern: 'YYYY-MM-DD',
      maxFiles: `${file.keepDays}d`,
      // Logs name users and DNs: owner-only, like the state database and the reports.
      options: { flags: 'a', mode: 0o600 },
      auditFile: `${file.dir}/.dirsync-log-audit.json`,
      format: winston.format.json(),
    });
    // A daemon runs for months: prune again whenever a new day's file is opened.
    rotating.on('new', () => pruneLogs(file.dir, file.keepDays));
    // A log file that cannot be opened or written (folder removed, disk full) must not stop the
    // daemon: the rotation library re-emits its file stream's errors on `logStream`, with no
    // listener of its own, where an unhandled 'error' would end the process. Said once on stderr.
    const stream: unknown = (rotating as unknown as { logStream?: unknown }).logStream;
    if (stream instanceof EventEmitter) {
      let told = false;
      stream.on('error', (err: unknown) => {
        if (told) return;
        told = true;
        process.stderr.write(`dirsync: cannot write the log file in ${file.dir}: ${errorMessage(err)}\n`);
      });
    }
    transports.push(rotating);
  }
  const logger = winston.createLogger({
    level: options.level,
    format: winston.format.combine(redact(), winston.format.timestamp()),
    transports,
  });
  // winston formats every message (redaction, timestamp) before its transports drop those below
  // their level: about 9 us a call, nearly a second of an initial sync of 100,000 users for the
  // debug line of each operation. Below debug, debug does nothing (child loggers inherit it).
  if (!logger.isLevelEnabled('debug')) logger.debug = ((): Logger => logger) as unknown as winston.LeveledLogMethod;
  return logger;
}
