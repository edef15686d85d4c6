import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface Timed {
  readonly seconds: number;
  /** Peak resident set size of the child, from /usr/bin/time (%M, KiB) in MiB. */
  readonly rssMb: number;
  readonly stdout: string;
}

/**
 * Runs a command to completion under /usr/bin/time, which reports the child's own peak RSS
 * (getrusage ru_maxrss) without sampling. Wall time is measured here, around the whole process.
 */
export async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv, keepStdout = true): Promise<Timed> {
  const rssFile = path.join('/tmp', `dirsync-bench-time-${process.pid}`);
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args], {
    env: { ...process.env, ...env },
    // A sync's report on stdout is not what is measured: it goes nowhere.
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  const rssKb = Number.parseInt(readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '0', 10);
  rmSync(rssFile, { force: true });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  return { seconds, rssMb: rssKb / 1024, stdout };
}

/** Runs a shell script of the repository, its output passed through (slapd start/stop). */
export async function script(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn('bash', [path.join(REPO_ROOT, file), ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${code}`);
}

/** The SCIM test target as a child process of the benchmark, on a port of its own choosing. */
export class BenchScimTarget {
  url = '';
  readonly #child;

  private constructor(child: ReturnType<typeof spawn>) {
    this.#child = child;
  }

  /** `args`: more options for the target (`--bulk` advertises and serves SCIM Bulk). */
  static async start(dataFile: string, token: string, args: readonly string[] = []): Promise<BenchScimTarget> {
    for (const suffix of ['', '-wal', '-shm', '.lock']) rmSync(`${dataFile}${suffix}`, { force: true });
    const main = path.join(REPO_ROOT, 'dist/scripts/scim-target/main.js');
    const child = spawn(process.execPath, [main, '--port', '0', '--data', dataFile, ...args], {
      env: { ...process.env, DIRSYNC_SCIM_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const target = new BenchScimTarget(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    target.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`SCIM target exited (${code}): ${stderr}`)));
    });
    return target;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGTERM');
    });
  }
}
