/**
 * What the daemon tells observers (metrics, notifications) after each scheduled run. Plain data:
 * observers never see the plan, the users or any secret.
 */
export type RunKind = 'full' | 'delta';

export interface RunEvent {
  readonly runId: string;
  readonly kind: RunKind;
  /** Staging mode: read and planned only, nothing sent. */
  readonly staging: boolean;
  readonly outcome: 'success' | 'partial' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** create, update, reactivate, deactivate, failed, skipped, consolidation, ... */
  readonly counts: Readonly<Record<string, number>>;
  /** Operations the mass-change guard held back this run (0 when none). */
  readonly guardStops: number;
  /** Licenses short of seats (users waiting for one). */
  readonly licenseShortfalls: number;
  /** Directory scopes not read completely ("group CN=Staff,...: the group does not exist"). */
  readonly directoryProblems: readonly string[];
  /** Retries the SCIM client made in this run. */
  readonly apiRetries: number;
  /** Accounts in the snapshot after the run; undefined when the state database could not be read. */
  readonly usersManaged?: number;
  /** Set when the run failed: a one-line reason with its error code. */
  readonly error?: string;
  /** Set when the run failed: the stable error code (src/errors/codes.ts), for exit codes. */
  readonly errorCode?: string;
}

export interface RunObserver {
  onRunFinished(event: RunEvent): void | Promise<void>;
}
