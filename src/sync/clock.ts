import { ConfigError } from '../errors/codes';

/**
 * The time a run plans at. DIRSYNC_NOW (an ISO 8601 date-time) sets it for tests and for
 * previewing staged deprovisioning ("what is released next month?" with `dirsync plan`); unset,
 * the machine's clock.
 */
export function runNow(env: NodeJS.ProcessEnv = process.env): Date {
  const raw = env['DIRSYNC_NOW'];
  if (raw === undefined || raw === '') return new Date();
  const at = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(at.getTime())) {
    throw new ConfigError('CONFIG_INVALID', [`DIRSYNC_NOW: "${raw}" is not an ISO 8601 date-time such as 2026-12-01T00:00:00Z`]);
  }
  return at;
}
