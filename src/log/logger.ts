import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

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

export function createLogger(options: LoggerOptions): Logger {
  const transports: winston.transport[] = [
    new winston.transports.Stream({
      stream: options.stream ?? process.stderr,
      format: options.json ? winston.format.json() : human,
      silent: options.silent ?? false,
      ...(options.consoleLevel ? { level: options.consoleLevel } : {}),
    }),
  ];
  if (options.file) {
    transports.push(
      new DailyRotateFile({
        dirname: options.file.dir,
        filename: 'dirsync-%DATE%.log',
        datePattern: 'YYYY-MM-DD',
        maxFiles: `${options.file.keepDays}d`,
        // Logs name users and DNs: owner-only, like the state database and the reports.
        options: { flags: 'a', mode: 0o600 },
        auditFile: `${options.file.dir}/.dirsync-log-audit.json`,
        format: winston.format.json(),
      }),
    );
  }
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(redact(), winston.format.timestamp()),
    transports,
  });
}
