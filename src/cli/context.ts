import { createLogger, type Logger, type LogLevel } from '../log/logger';
import { loadConfig, DEFAULT_CONFIG_FILE, type LoadedConfig } from '../config/load';

export interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly quiet?: boolean;
}

export function configPath(options: GlobalOptions): string {
  return options.config ?? process.env.DIRSYNC_CONFIG ?? DEFAULT_CONFIG_FILE;
}

export function load(options: GlobalOptions): LoadedConfig {
  return loadConfig(configPath(options));
}

/** Logs go to stderr, so stdout carries only the command's output (a table or --json). */
export function cliLogger(
  options: GlobalOptions,
  configured: LogLevel = 'info',
  file?: { dir: string; keepDays: number },
): Logger {
  const level: LogLevel = options.verbose ? 'debug' : configured;
  // --quiet quiets the console only: the log file keeps the configured level.
  return createLogger({ level, silent: false, file, ...(options.quiet ? { consoleLevel: 'error' as const } : {}) });
}
