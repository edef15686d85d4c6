import { DirsyncError } from '../errors/codes';

/** Documented in the README; scripts rely on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  internal: 1,
  config: 2,
  directory: 3,
  target: 4,
  partial: 5,
  state: 6,
  /** The mass-change guard stopped deactivations; everything else was applied. */
  guardStopped: 7,
  /** `dirsync apply` refused the plan file (stale snapshot, edited file, other target). */
  planRefused: 8,
  /** Another sync or apply holds the state database's lease (or took it from this run). */
  locked: 9,
  /** `dirsync service`: the service could not be installed, removed or queried. */
  service: 10,
  /** The health listener could not start, or a notification channel is misconfigured. */
  daemon: 11,
  /** `dirsync explain`: no directory user or managed account matched. */
  notFound: 12,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof DirsyncError ? exitCodeOf(err.code) : EXIT.internal;
}

/** The exit code of a stable error code (a failed daemon run carries only the code). */
export function exitCodeOf(code: string): ExitCode {
  if (code.startsWith('CONFIG') || code === 'SECRET_UNRESOLVED') return EXIT.config;
  if (code.startsWith('DIRECTORY')) return EXIT.directory;
  if (code.startsWith('TARGET')) return EXIT.target;
  if (code.startsWith('STATE')) return EXIT.state;
  if (code.startsWith('PLAN')) return EXIT.planRefused;
  if (code === 'RUN_IN_PROGRESS' || code === 'RUN_STOPPED') return EXIT.locked;
  if (code.startsWith('SERVICE')) return EXIT.service;
  if (code.startsWith('HEALTH') || code.startsWith('NOTIFY')) return EXIT.daemon;
  return EXIT.internal;
}
