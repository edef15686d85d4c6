import type { RunEvent } from '../daemon/events';

export type IncidentKind = 'run_failed' | 'guard_stop' | 'directory_problem' | 'license_shortfall';

/** Fixed order, so one run's notifications always go out in the same order. */
export const INCIDENT_KINDS: readonly IncidentKind[] = ['run_failed', 'guard_stop', 'directory_problem', 'license_shortfall'];

export interface Incident {
  readonly kind: IncidentKind;
  /** One line for a subject or a chat message. */
  readonly summary: string;
  /** Everything an admin needs to start fixing it (scopes, the error). */
  readonly details: readonly string[];
}

/** An incident kind seen in one or more runs and not yet resolved by a successful run. */
export interface OpenIncident {
  /** finishedAt of the first run that showed it. */
  readonly since: string;
  /** Runs that showed it since `since`. */
  readonly runs: number;
  /** When a notification about it was last delivered (ISO); null while none got through. */
  readonly lastNotifiedAt: string | null;
}

export interface NotifyState {
  readonly version: 1;
  readonly open: Readonly<Partial<Record<IncidentKind, OpenIncident>>>;
}

export const EMPTY_NOTIFY_STATE: NotifyState = { version: 1, open: {} };

/** The incidents one run shows; empty for a clean run. */
export function incidentsOf(event: RunEvent): Incident[] {
  const out: Incident[] = [];
  if (event.outcome === 'failed') {
    out.push({
      kind: 'run_failed',
      summary: `${event.kind} run ${event.runId} failed: ${event.error ?? 'no reason recorded'}`,
      details: event.error ? [event.error] : [],
    });
  }
  if (event.guardStops > 0) {
    out.push({
      kind: 'guard_stop',
      summary: `the mass-change guard held back ${event.guardStops} operation(s); nothing of those was sent until an admin approves`,
      details: ['Review the run report, then approve with `dirsync sync --approve` or a frozen plan (`dirsync apply`).'],
    });
  }
  if (event.directoryProblems.length > 0) {
    out.push({
      kind: 'directory_problem',
      summary: `${event.directoryProblems.length} directory scope(s) not read completely; deactivations were held`,
      details: event.directoryProblems,
    });
  }
  if (event.licenseShortfalls > 0) {
    out.push({
      kind: 'license_shortfall',
      summary: `${event.licenseShortfalls} license(s) short of seats`,
      details: [],
    });
  }
  return out;
}

export interface DueIncident {
  readonly incident: Incident;
  readonly open: OpenIncident;
  /** The incident was notified before and still lasts: this is a reminder. */
  readonly reminder: boolean;
}

export interface Decision {
  /** Incidents to notify now, each on its own. */
  readonly due: readonly DueIncident[];
  /** Incidents this run showed that the rate limit keeps quiet. */
  readonly held: readonly IncidentKind[];
  /** Open incidents this (successful) run resolved: one "resolved" notification for all. */
  readonly resolved: readonly { readonly kind: IncidentKind; readonly open: OpenIncident }[];
  /** The state once every due notification is delivered; see `markDelivered`. */
  readonly next: NotifyState;
}

/**
 * The rate limiter, pure: same state, event and time, same decision. An incident kind notifies
 * when it appears, then at most once per `minIntervalMs` while it lasts. It lasts until a run
 * succeeds with no incident at all: a partial run, or a failed run that shows another kind, does
 * not end it, so an incident that flaps between runs does not notify every time it comes back.
 */
export function decide(state: NotifyState, event: RunEvent, nowMs: number, minIntervalMs: number): Decision {
  const incidents = incidentsOf(event);
  if (incidents.length === 0) {
    const resolved = INCIDENT_KINDS.flatMap((kind) => {
      const open = state.open[kind];
      return open ? [{ kind, open }] : [];
    });
    if (event.outcome === 'success') return { due: [], held: [], resolved, next: EMPTY_NOTIFY_STATE };
    return { due: [], held: [], resolved: [], next: state };
  }
  const open: Partial<Record<IncidentKind, OpenIncident>> = { ...state.open };
  const due: DueIncident[] = [];
  const held: IncidentKind[] = [];
  for (const incident of incidents) {
    const before = state.open[incident.kind];
    const now: OpenIncident = before
      ? { ...before, runs: before.runs + 1 }
      : { since: event.finishedAt, runs: 1, lastNotifiedAt: null };
    open[incident.kind] = now;
    const last = now.lastNotifiedAt === null ? Number.NaN : Date.parse(now.lastNotifiedAt);
    // An unreadable or future timestamp (clock set back) counts as "not notified": better one mail too many.
    if (!Number.isFinite(last) || last > nowMs || nowMs - last >= minIntervalMs) {
      due.push({ incident, open: now, reminder: now.lastNotifiedAt !== null });
    } else {
      held.push(incident.kind);
    }
  }
  return { due, held, resolved: [], next: { version: 1, open } };
}

/** The state after the notifications of `kinds` were delivered at `nowMs`. */
export function markDelivered(state: NotifyState, kinds: readonly IncidentKind[], nowMs: number): NotifyState {
  const open: Partial<Record<IncidentKind, OpenIncident>> = { ...state.open };
  for (const kind of kinds) {
    const o = open[kind];
    if (o) open[kind] = { ...o, lastNotifiedAt: new Date(nowMs).toISOString() };
  }
  return { version: 1, open };
}
