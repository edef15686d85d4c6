import { execFile } from 'node:child_process';
import { DirsyncError } from '../errors/codes';

export interface CommandResult {
  /** The exit code; 127 when the program was not found (as a shell says). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The program does not exist on this machine. */
  readonly notFound: boolean;
}

/** Runs a program without a shell. Injected in tests, so no test touches the real systemctl. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

export class ServiceError extends DirsyncError {
  override readonly name = 'ServiceError';
}

const TIMEOUT_MS = 120_000;

export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) {
        resolve({ code: 0, stdout, stderr, notFound: false });
        return;
      }
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOENT') {
        resolve({ code: 127, stdout: '', stderr: `${file}: not found`, notFound: true });
        return;
      }
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr: stderr || err.message, notFound: false });
    });
  });
