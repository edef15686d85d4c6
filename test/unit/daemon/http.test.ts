import { request } from 'undici';
import { HealthTracker } from '../../../src/daemon/health';
import { startHealthServer, type HealthServer } from '../../../src/daemon/http';
import { RunMetrics } from '../../../src/daemon/metrics';
import { parsePrometheusText, valueOf } from './prom-text';
import { FakeClock, runEvent } from './run-event';

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await request(url, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  return { status: res.statusCode, type: String(res.headers['content-type']), body: await res.body.text() };
}

describe('health listener', () => {
  const clock = new FakeClock();
  let server: HealthServer;
  let health: HealthTracker;
  let metrics: RunMetrics;

  beforeEach(async () => {
    clock.ms = Date.parse('2026-01-01T00:00:00Z');
    health = new HealthTracker({ maxAgeSeconds: 3600, now: clock.now });
    metrics = new RunMetrics({ processMetrics: false });
    server = await startHealthServer({ port: 0, metrics, health });
  });

  afterEach(() => server.close());

  it('binds 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers 'starting' (200) before the first run", async () => {
    const res = await get(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({ status: 'starting', lastRun: null });
  });

  it("answers 'ok' (200) after a successful or partial run, with the run's age", async () => {
    const ev = runEvent({ finishedAtMs: clock.ms, outcome: 'partial' });
    health.onRunFinished(ev);
    clock.advance(90_000);
    const res = await get(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      status: 'ok',
      lastRun: { id: ev.runId, outcome: 'partial', finishedAt: ev.finishedAt, ageSeconds: 90 },
    });
  });

  it("answers 'failing' (503) when the last run failed, and 'ok' again after a success", async () => {
    health.onRunFinished(runEvent({ finishedAtMs: clock.ms, outcome: 'failed', error: 'DIRECTORY_BIND: refused' }));
    const failing = await get(`${server.url}/healthz`);
    expect(failing.status).toBe(503);
    expect(JSON.parse(failing.body)).toMatchObject({ status: 'failing', lastRun: { outcome: 'failed' } });
    health.onRunFinished(runEvent({ finishedAtMs: clock.advance(60_000) }));
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });

  it("answers 'stale' (503) when the last run is older than maxAgeSeconds, even a success", async () => {
    health.onRunFinished(runEvent({ finishedAtMs: clock.ms }));
    clock.advance(3600_000);
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    clock.advance(1_000);
    const stale = await get(`${server.url}/healthz`);
    expect(stale.status).toBe(503);
    expect(JSON.parse(stale.body)).toMatchObject({ status: 'stale', lastRun: { ageSeconds: 3601 } });
  });

  it("turns 'starting' into 'stale' when no first run finishes within maxAgeSeconds", async () => {
    clock.advance(3601_000);
    const res = await get(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: 'stale', lastRun: null });
  });

  it('serves /metrics as Prometheus text with the values of the runs', async () => {
    metrics.onRunFinished(runEvent({ kind: 'full', counts: { create: 3, applied: 3 }, usersManaged: 3 }));
    const res = await get(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toBe(metrics.contentType);
    const exp = parsePrometheusText(res.body);
    expect(valueOf(exp, 'dirsync_users_managed')).toBe(3);
    expect(valueOf(exp, 'dirsync_runs_total', { kind: 'full', outcome: 'success' })).toBe(1);
  });

  it('answers 404 to anything else, including other methods and query-less lookalikes', async () => {
    expect((await get(`${server.url}/`)).status).toBe(404);
    expect((await get(`${server.url}/healthz/x`)).status).toBe(404);
    expect((await get(`${server.url}/metrics?x=1`)).status).toBe(200);
    const post = await request(`${server.url}/healthz`, { method: 'POST', body: '{}' });
    await post.body.dump();
    expect(post.statusCode).toBe(404);
  });

  it('seeds the last run recorded before a restart', () => {
    const seeded = new HealthTracker({
      maxAgeSeconds: 3600,
      now: clock.now,
      lastRun: { id: 'r-old', outcome: 'failed', finishedAt: new Date(clock.ms - 10_000).toISOString() },
    });
    expect(seeded.check()).toEqual({
      status: 'failing',
      lastRun: { id: 'r-old', outcome: 'failed', finishedAt: new Date(clock.ms - 10_000).toISOString(), ageSeconds: 10 },
    });
  });
});

describe('startHealthServer', () => {
  it('fails with HEALTH_LISTEN when the port is taken', async () => {
    const health = new HealthTracker({ maxAgeSeconds: 60 });
    const metrics = new RunMetrics({ processMetrics: false });
    const first = await startHealthServer({ port: 0, metrics, health });
    try {
      const port = Number(new URL(first.url).port);
      await expect(startHealthServer({ port, metrics, health })).rejects.toMatchObject({ code: 'HEALTH_LISTEN' });
    } finally {
      await first.close();
    }
  });

  it('binds another address only when told, e.g. IPv6 loopback', async () => {
    const health = new HealthTracker({ maxAgeSeconds: 60 });
    const server = await startHealthServer({
      host: '::1',
      port: 0,
      metrics: new RunMetrics({ processMetrics: false }),
      health,
    }).catch(() => undefined);
    if (!server) return; // no IPv6 on this machine: nothing to check
    try {
      expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await get(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
