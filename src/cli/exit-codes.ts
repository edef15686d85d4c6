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
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof DirsyncError)) return EXIT.internal;
  if (err.code.startsWith('CONFIG') || err.code === 'SECRET_UNRESOLVED') return EXIT.config;
  if (err.code.startsWith('DIRECTORY')) return EXIT.directory;
  if (err.code.startsWith('TARGET')) return EXIT.target;
  if (err.code.startsWith('STATE')) return EXIT.state;
  return EXIT.internal;
}
