/** One preflight check, as `dirsync doctor` prints it. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** Which part of the set-up a check is about; decides doctor's exit code on failure. */
export type CheckArea = 'config' | 'directory' | 'target' | 'product';

export interface Check {
  readonly area: CheckArea;
  readonly status: CheckStatus;
  /** What was checked, then what was found, in one line. */
  readonly message: string;
  /** What the admin should change; set on every fail and warn. */
  readonly fix?: string;
  /** Further lines (bad CSV rows, per-domain counts). */
  readonly details?: readonly string[];
}

export const pass = (area: CheckArea, message: string, details?: readonly string[]): Check => ({
  area,
  status: 'pass',
  message,
  ...(details && details.length > 0 ? { details } : {}),
});

export const fail = (area: CheckArea, message: string, fix: string, details?: readonly string[]): Check => ({
  area,
  status: 'fail',
  message,
  fix,
  ...(details && details.length > 0 ? { details } : {}),
});

export const warn = (area: CheckArea, message: string, fix: string, details?: readonly string[]): Check => ({
  area,
  status: 'warn',
  message,
  fix,
  ...(details && details.length > 0 ? { details } : {}),
});

export const skip = (area: CheckArea, message: string): Check => ({ area, status: 'skip', message });

/** "${env:DIRSYNC_SCIM_TOKEN}" -> "the environment variable DIRSYNC_SCIM_TOKEN", for fix hints. */
export function secretSource(ref: string): string {
  const env = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(ref);
  return env ? `the environment variable ${env[1] ?? ''}` : `the file ${ref.slice('file:'.length)}`;
}
