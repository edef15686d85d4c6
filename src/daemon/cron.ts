import cron from 'node-cron';
import { DirsyncError } from '../errors/codes';

/** The part of node-cron the daemon uses, so tests can fire ticks themselves. */
export interface CronScheduler {
  schedule(expression: string, task: () => void, timezone?: string): { stop(): void };
}

export function validateCron(expression: string, setting: string): void {
  if (!cron.validate(expression)) {
    throw new DirsyncError(
      'CONFIG_INVALID',
      `${setting}: "${expression}" is not a valid cron expression (minute hour day month weekday)`,
    );
  }
}

export const nodeCron: CronScheduler = {
  schedule(expression, task, timezone) {
    const job = cron.schedule(expression, task, { ...(timezone ? { timezone } : {}), noOverlap: true });
    return { stop: () => void job.stop() };
  },
};
