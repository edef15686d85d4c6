import { decide, EMPTY_NOTIFY_STATE, incidentsOf, markDelivered, type NotifyState } from '../../../src/notify/incidents';
import { runEvent } from '../daemon/run-event';

const MIN = 60_000;
const INTERVAL = 240 * MIN;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Feeds runs every 30 minutes as the daemon would, delivering every due notification. */
function simulate(events: ReturnType<typeof runEvent>[], start: NotifyState = EMPTY_NOTIFY_STATE) {
  let state = start;
  const sent: string[] = [];
  events.forEach((event, i) => {
    const now = T0 + i * 30 * MIN;
    const d = decide(state, event, now, INTERVAL);
    for (const due of d.due) sent.push(`${i}:${due.reminder ? 'reminder' : 'incident'}:${due.incident.kind}`);
    if (d.resolved.length > 0) sent.push(`${i}:resolved:${d.resolved.map((r) => r.kind).join('+')}`);
    state = markDelivered(
      d.next,
      d.due.map((x) => x.incident.kind),
      now,
    );
  });
  return { sent, state };
}

const failed = (): ReturnType<typeof runEvent> => runEvent({ outcome: 'failed', error: 'DIRECTORY_CONNECT: no server answered' });
const ok = (): ReturnType<typeof runEvent> => runEvent({ outcome: 'success' });

describe('incidentsOf', () => {
  it('finds each kind of incident a run shows, and none in a clean run', () => {
    expect(incidentsOf(ok())).toEqual([]);
    const kinds = incidentsOf(
      runEvent({
        outcome: 'failed',
        error: 'x',
        guardStops: 3,
        directoryProblems: ['group CN=Staff: missing'],
        licenseShortfalls: 1,
      }),
    ).map((i) => i.kind);
    expect(kinds).toEqual(['run_failed', 'guard_stop', 'directory_problem', 'license_shortfall']);
    const dir = incidentsOf(runEvent({ outcome: 'partial', directoryProblems: ['base ou=x: referral'] }));
    expect(dir).toEqual([expect.objectContaining({ kind: 'directory_problem', details: ['base ou=x: referral'] })]);
  });
});

describe('decide (the rate limiter)', () => {
  it('notifies a lasting failure once, reminds after the interval, and says resolved once', () => {
    // 10 failing runs 30 min apart = 4.5 h: the first notifies, the 9th (at 4 h) reminds.
    const { sent, state } = simulate([...Array.from({ length: 10 }, failed), ok(), ok()]);
    expect(sent).toEqual(['0:incident:run_failed', '8:reminder:run_failed', '10:resolved:run_failed']);
    expect(state).toEqual(EMPTY_NOTIFY_STATE);
  });

  it('rate-limits each kind on its own', () => {
    const guard = (): ReturnType<typeof runEvent> => runEvent({ outcome: 'partial', guardStops: 12 });
    const { sent } = simulate([failed(), guard(), failed(), guard(), ok()]);
    expect(sent).toEqual(['0:incident:run_failed', '1:incident:guard_stop', '4:resolved:run_failed+guard_stop']);
  });

  it('keeps an incident open through a partial run, so flapping does not notify again', () => {
    const partial = (): ReturnType<typeof runEvent> => runEvent({ outcome: 'partial', counts: { failed: 1 } });
    const { sent } = simulate([failed(), partial(), failed(), partial(), failed()]);
    expect(sent).toEqual(['0:incident:run_failed']);
  });

  it('sends nothing at all for clean runs', () => {
    expect(simulate([ok(), ok(), ok()]).sent).toEqual([]);
  });

  it('retries an incident whose notification was not delivered at the next run', () => {
    const first = decide(EMPTY_NOTIFY_STATE, failed(), T0, INTERVAL);
    expect(first.due).toHaveLength(1);
    // Nothing delivered: markDelivered not called, lastNotifiedAt stays null.
    const second = decide(first.next, failed(), T0 + 30 * MIN, INTERVAL);
    expect(second.due.map((d) => d.reminder)).toEqual([false]);
    expect(second.due[0]?.open).toMatchObject({ runs: 2, lastNotifiedAt: null });
  });

  it('treats a notification time in the future (clock set back) as due rather than muting for ever', () => {
    const state: NotifyState = {
      version: 1,
      open: { run_failed: { since: '2030-01-01T00:00:00.000Z', runs: 3, lastNotifiedAt: '2030-01-01T00:00:00.000Z' } },
    };
    expect(decide(state, failed(), T0, INTERVAL).due).toHaveLength(1);
  });

  it('a success after a failure resolves even without a delivered incident, and a new failure is new', () => {
    const { sent } = simulate([failed(), ok(), failed()]);
    expect(sent).toEqual(['0:incident:run_failed', '1:resolved:run_failed', '2:incident:run_failed']);
  });
});
