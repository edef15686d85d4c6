import type { RunEvent } from '../daemon/events';
import type { DueIncident, IncidentKind, OpenIncident } from './incidents';

/** The JSON body of a webhook POST. `text` makes Slack/Mattermost-style receivers show something. */
export interface NotificationPayload {
  readonly source: 'dirsync';
  readonly type: 'incident' | 'resolved';
  readonly host: string;
  readonly incidents: readonly IncidentKind[];
  readonly summary: string;
  readonly details: readonly string[];
  /** Incident: the first run that showed it. Resolved: the earliest of the resolved incidents. */
  readonly since: string;
  /** Runs that showed the incident so far (incident only). */
  readonly runs?: number;
  /** The incident was notified before and still lasts. */
  readonly reminder?: boolean;
  readonly run: {
    readonly id: string;
    readonly kind: RunEvent['kind'];
    readonly outcome: RunEvent['outcome'];
    readonly staging: boolean;
    readonly finishedAt: string;
    readonly error?: string;
  };
  readonly text: string;
}

export interface Notification {
  readonly subject: string;
  readonly payload: NotificationPayload;
}

const TITLES: Readonly<Record<IncidentKind, string>> = {
  run_failed: 'run failed',
  guard_stop: 'mass-change guard stopped changes',
  directory_problem: 'directory not read completely',
  license_shortfall: 'license shortfall',
};

function runOf(event: RunEvent): NotificationPayload['run'] {
  return {
    id: event.runId,
    kind: event.kind,
    outcome: event.outcome,
    staging: event.staging,
    finishedAt: event.finishedAt,
    ...(event.error ? { error: event.error } : {}),
  };
}

export function incidentNotification(due: DueIncident, event: RunEvent, host: string): Notification {
  const { incident, open, reminder } = due;
  const title = TITLES[incident.kind];
  const lead = reminder ? `still: ${title}` : title;
  const subject = `[dirsync] ${host}: ${lead}`;
  const lines = [
    `${lead} on ${host}${event.staging ? ' (staging)' : ''}.`,
    '',
    incident.summary,
    ...incident.details.map((d) => `  - ${d}`),
    '',
    `Since ${open.since} (${open.runs} run(s)); last run ${event.runId} (${event.kind}, ${event.outcome}) finished ${event.finishedAt}.`,
  ];
  if (reminder) lines.push('A reminder: the incident lasts. The next one comes when the interval has passed again.');
  return {
    subject,
    payload: {
      source: 'dirsync',
      type: 'incident',
      host,
      incidents: [incident.kind],
      summary: incident.summary,
      details: incident.details,
      since: open.since,
      runs: open.runs,
      reminder,
      run: runOf(event),
      text: lines.join('\n'),
    },
  };
}

export function resolvedNotification(
  resolved: readonly { readonly kind: IncidentKind; readonly open: OpenIncident }[],
  event: RunEvent,
  host: string,
): Notification {
  const kinds = resolved.map((r) => r.kind);
  const titles = kinds.map((k) => TITLES[k]).join(', ');
  const since = resolved.map((r) => r.open.since).sort()[0] ?? event.finishedAt;
  const summary = `resolved: ${titles}`;
  return {
    subject: `[dirsync] ${host}: ${summary}`,
    payload: {
      source: 'dirsync',
      type: 'resolved',
      host,
      incidents: kinds,
      summary,
      details: [],
      since,
      run: runOf(event),
      text: `${summary} on ${host}: run ${event.runId} (${event.kind}) succeeded at ${event.finishedAt}. The incident began ${since}.`,
    },
  };
}
