import { RunMetrics, renderMetrics } from '../../../src/daemon/metrics';
import { parsePrometheusText, valueOf } from './prom-text';
import { runEvent } from './run-event';

describe('RunMetrics', () => {
  it('exports run durations, outcomes, operations, retries, guard stops and users as valid Prometheus text', async () => {
    const metrics = new RunMetrics({ processMetrics: false });
    const t0 = Date.parse('2026-03-01T10:00:00Z');
    metrics.onRunFinished(
      runEvent({
        kind: 'full',
        outcome: 'success',
        durationMs: 42_000,
        finishedAtMs: t0,
        counts: { create: 5, update: 2, reactivate: 1, deactivate: 0, applied: 8, failed: 0, skipped: 3 },
        apiRetries: 4,
        usersManaged: 120,
      }),
    );
    metrics.onRunFinished(
      runEvent({
        kind: 'delta',
        outcome: 'partial',
        durationMs: 3_500,
        finishedAtMs: t0 + 1_800_000,
        counts: { create: 1, update: 3, deactivate: 2, applied: 4, failed: 2, consolidation: 1 },
        guardStops: 7,
        apiRetries: 1,
        usersManaged: 121,
        licenseShortfalls: 2,
        directoryProblems: ['group CN=Staff: the group does not exist'],
      }),
    );
    const text = await renderMetrics(metrics);
    const exp = parsePrometheusText(text);

    expect(exp.types.get('dirsync_run_duration_seconds')).toBe('histogram');
    expect(valueOf(exp, 'dirsync_run_duration_seconds_count', { kind: 'full', outcome: 'success' })).toBe(1);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_sum', { kind: 'full', outcome: 'success' })).toBe(42);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_bucket', { kind: 'full', outcome: 'success', le: '30' })).toBe(0);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_bucket', { kind: 'full', outcome: 'success', le: '60' })).toBe(1);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_bucket', { kind: 'delta', outcome: 'partial', le: '5' })).toBe(1);
    expect(valueOf(exp, 'dirsync_run_duration_seconds_bucket', { kind: 'delta', outcome: 'partial', le: '+Inf' })).toBe(1);

    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'full', outcome: 'success' })).toBe(1);
    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'delta', outcome: 'partial' })).toBe(1);
    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'delta', outcome: 'failed' })).toBe(0);

    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'create', outcome: 'planned' })).toBe(6);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'update', outcome: 'planned' })).toBe(5);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'reactivate', outcome: 'planned' })).toBe(1);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'deactivate', outcome: 'planned' })).toBe(2);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'all', outcome: 'done' })).toBe(12);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'all', outcome: 'failed' })).toBe(2);
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'create', outcome: 'consolidation' })).toBe(1);

    expect(valueOf(exp, 'dirsync_guard_stops_total')).toBe(7);
    expect(valueOf(exp, 'dirsync_api_retries_total')).toBe(5);
    expect(valueOf(exp, 'dirsync_users_managed')).toBe(121);
    expect(valueOf(exp, 'dirsync_license_shortfalls')).toBe(2);
    expect(valueOf(exp, 'dirsync_directory_problems')).toBe(1);
    expect(valueOf(exp, 'dirsync_last_run_timestamp_seconds')).toBe((t0 + 1_800_000) / 1000);
    // The partial run is not a success: the last success stays the first run.
    expect(valueOf(exp, 'dirsync_last_success_timestamp_seconds')).toBe(t0 / 1000);
    expect(valueOf(exp, 'dirsync_last_run_outcome', { outcome: 'partial' })).toBe(1);
    expect(valueOf(exp, 'dirsync_last_run_outcome', { outcome: 'success' })).toBe(0);
    expect(valueOf(exp, 'dirsync_last_run_outcome', { outcome: 'failed' })).toBe(0);
  });

  it('has its series at 0 before the first run and keeps its own registry', async () => {
    const a = new RunMetrics({ processMetrics: false });
    const b = new RunMetrics({ processMetrics: false });
    b.onRunFinished(runEvent({ outcome: 'failed', error: 'DIRECTORY_CONNECT: no server answered' }));
    const exp = parsePrometheusText(await a.render());
    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'delta', outcome: 'failed' })).toBe(0);
    expect(valueOf(exp, 'dirsync_guard_stops_total')).toBe(0);
    const expB = parsePrometheusText(await b.render());
    expect(valueOf(expB, 'dirsync_runs_total', { kind: 'delta', outcome: 'failed' })).toBe(1);
  });

  it('includes process metrics by default, still valid text', async () => {
    const m = new RunMetrics();
    const exp = parsePrometheusText(await m.render());
    expect(exp.samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('ignores negative or missing counts instead of throwing (a counter only goes up)', async () => {
    const m = new RunMetrics({ processMetrics: false });
    m.onRunFinished(runEvent({ counts: { create: -3, applied: Number.NaN }, apiRetries: -1 }));
    const exp = parsePrometheusText(await m.render());
    expect(valueOf(exp, 'dirsync_operations_total', { kind: 'create', outcome: 'planned' })).toBe(0);
    expect(valueOf(exp, 'dirsync_api_retries_total')).toBe(0);
  });
});

describe('parsePrometheusText (the test helper itself)', () => {
  it('rejects what is not Prometheus text', () => {
    expect(() => parsePrometheusText('# TYPE a counter\na 1\n')).not.toThrow();
    expect(() => parsePrometheusText('a 1\n')).toThrow(/before its # TYPE/);
    expect(() => parsePrometheusText('# TYPE a counter\na one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE a counter\na{x="1" 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE a counter\na{x=1} 1\n')).toThrow(/expected ="/);
    expect(() => parsePrometheusText('# TYPE a counter\na 1')).toThrow(/newline/);
  });
});
