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
  if (!(err instanceof DirsyncError)) return EXIT.internal;
  if (err.code.startsWith('CONFIG') || err.code === 'SECRET_UNRESOLVED') return EXIT.config;
  if (err.code.startsWith('DIRECTORY')) return EXIT.directory;
  if (err.code.startsWith('TARGET')) return EXIT.target;
  if (err.code.startsWith('STATE')) return EXIT.state;
  if (err.code.startsWith('PLAN')) return EXIT.planRefused;
  if (err.code === 'RUN_IN_PROGRESS' || err.code === 'RUN_STOPPED') return EXIT.locked;
  if (err.code.startsWith('SERVICE')) return EXIT.service;
  if (err.code.startsWith('HEALTH') || err.code.startsWith('NOTIFY')) return EXIT.daemon;
  return EXIT.internal;
}
