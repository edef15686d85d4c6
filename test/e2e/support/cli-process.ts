import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CliResult } from './cli';
import { SECRETS_ENV } from './cli';
import { REPO_ROOT } from './env';

export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves when the process has exited; `signal` is set when it was killed. */
  readonly done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
  kill9(): void;
}

/** Starts the built CLI without waiting for it, so a test can kill it with SIGKILL at any point. */
export function startCli(args: readonly string[], env: Record<string, string> = SECRETS_ENV): RunningCli {
  const main = path.join(REPO_ROOT, 'dist/src/cli/main.js');
  const child = spawn(process.execPath, [main, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    kill9: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
