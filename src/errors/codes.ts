/**
 * Stable error codes. Admins and scripts match on these strings, so a code is never renamed
 * once released; add a new one instead.
 */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'SECRET_UNRESOLVED'
  | 'DIRECTORY_CONNECT'
  | 'DIRECTORY_BIND'
  | 'DIRECTORY_SEARCH'
  | 'DIRECTORY_GROUP_NOT_FOUND'
  | 'DIRECTORY_INSECURE'
  | 'DIRECTORY_CSV_INVALID'
  | 'TARGET_HTTP'
  | 'TARGET_AUTH'
  | 'TARGET_RESPONSE'
  | 'TARGET_CONFLICT'
  | 'TARGET_INSECURE'
  | 'TARGET_PRECONDITION'
  | 'STATE_OPEN'
  | 'STATE_SCHEMA'
  | 'RUN_IN_PROGRESS'
  | 'RUN_STOPPED'
  | 'PLAN_INVALID'
  | 'PLAN_STALE'
  | 'HEALTH_LISTEN'
  | 'NOTIFY_WEBHOOK'
  | 'NOTIFY_EMAIL'
  | 'SERVICE_INVALID'
  | 'SERVICE_WRITE'
  | 'SERVICE_MANAGER_UNAVAILABLE'
  | 'SERVICE_COMMAND'
  | 'INTERNAL';

export class DirsyncError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirsyncError';
    this.code = code;
    this.details = details;
  }
}

export class ConfigError extends DirsyncError {
  override readonly name = 'ConfigError';
  /** Every problem found, each naming the setting's path, so an admin fixes them in one go. */
  readonly problems: readonly string[];

  constructor(
    code: 'CONFIG_NOT_FOUND' | 'CONFIG_PARSE' | 'CONFIG_INVALID' | 'SECRET_UNRESOLVED',
    problems: string[],
    file?: string,
  ) {
    const where = file ? `${file}: ` : '';
    super(code, `${where}${problems.join('; ')}`, { file });
    this.problems = problems;
  }
}

export class DirectoryError extends DirsyncError {
  override readonly name = 'DirectoryError';
}

export class TargetError extends DirsyncError {
  override readonly name = 'TargetError';
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    status?: number,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, { ...details, status }, options);
    this.status = status;
  }
}

export class StateError extends DirsyncError {
  override readonly name = 'StateError';
}

/** A frozen plan file that cannot be applied: unreadable, edited, for another target, or stale. */
export class PlanFileError extends DirsyncError {
  override readonly name = 'PlanFileError';

  constructor(code: 'PLAN_INVALID' | 'PLAN_STALE', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorCode(err: unknown): ErrorCode {
  return err instanceof DirsyncError ? err.code : 'INTERNAL';
}
