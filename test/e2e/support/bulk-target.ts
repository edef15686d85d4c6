import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, SCIM_TOKEN } from './env';
import { ScimProcess } from './scim';

/** Per endpoint, as /_admin/stats reports them. */
export interface EndpointCounts {
  requests: number;
  mutating: number;
  byMethod: Record<string, number>;
}

/** /_admin/stats of a target: single requests by endpoint, and the operations inside bulk requests. */
export interface TargetCounts {
  mutating: number;
  byResource: Record<string, EndpointCounts | undefined>;
  bulkOperations?: Record<string, EndpointCounts | undefined>;
}

/**
 * The SCIM target in its own process with `--bulk` (and any other flags), on a free port.
 * `view` is a ScimProcess pointed at it, for its queries (users, stats, post ...).
 */
export class BulkScimProcess {
  #child: ChildProcess | undefined;
  readonly view: ScimProcess;

  constructor(
    dataFile: string,
    private readonly flags: readonly string[] = [],
  ) {
    this.view = new ScimProcess(dataFile);
  }

  get url(): string {
    return this.view.url;
  }

  async start(): Promise<void> {
    const main = path.join(REPO_ROOT, 'dist/scripts/scim-target/main.js');
    const args = [main, '--port', '0', '--data', this.view.dataFile, '--bulk', ...this.flags];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, DIRSYNC_SCIM_TOKEN: SCIM_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.view.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`SCIM target did not start: ${stderr}`)), 15_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`SCIM target exited (${code}): ${stderr}`));
      });
    });
  }

  async counts(): Promise<TargetCounts> {
    return (await this.view.stats()) as unknown as TargetCounts;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    this.#child = undefined;
  }
}

/** How many requests of `method` an endpoint (or the operations inside bulks) saw. */
export function countOf(
  counts: Record<string, EndpointCounts | undefined> | undefined,
  endpoint: string,
  method: string,
): number {
  return counts?.[endpoint]?.byMethod[method] ?? 0;
}
