/**
 * CLI for the SCIM test target:
 *
 *   node dist/scripts/scim-target/main.js --port 18080 --data FILE [--host 127.0.0.1]
 *        [--token-file FILE] [--max-results N]
 *        [--bulk [--bulk-max-operations N] [--bulk-max-payload BYTES]]
 *
 * --bulk advertises SCIM Bulk in /ServiceProviderConfig and serves POST /Bulk (default limits:
 * 1000 operations, 1048576 bytes); without it /Bulk answers 501, as before.
 *
 * The bearer token comes from --token-file, else from DIRSYNC_SCIM_TOKEN; it is never accepted
 * on the command line, where other local users could read it from the process list.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BulkSettings } from './bulk';
import { startScimTarget, type ScimTarget } from './server';

interface CliOptions {
  port: number;
  host: string;
  dataFile: string;
  token: string;
  maxResults: number | undefined;
  bulk: BulkSettings | undefined;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: main.js --port PORT --data FILE [--host HOST] [--token-file FILE] [--max-results N]\n` +
      '       [--bulk [--bulk-max-operations N] [--bulk-max-payload BYTES]]\n' +
      '       (token from --token-file or DIRSYNC_SCIM_TOKEN)\n',
  );
  process.exit(2);
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) usage(`--${name} must be an integer`);
  const value = Number.parseInt(raw, 10);
  if (value < min || value > max) usage(`--${name} must be between ${min} and ${max}`);
  return value;
}

const cliSpec = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  'token-file': { type: 'string' },
  'max-results': { type: 'string' },
  bulk: { type: 'boolean' },
  'bulk-max-operations': { type: 'string' },
  'bulk-max-payload': { type: 'string' },
} as const;

// Return type inferred: parseArgs derives the typed flag values from cliSpec.
function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: cliSpec }).values;
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
}

function parseCli(argv: string[]): CliOptions {
  const values = parseFlags(argv);
  if (values.data === undefined || values.data === '') usage('--data is required');
  let token: string | undefined;
  if (values['token-file'] !== undefined) {
    // A trailing newline is an artefact of `echo > file`, not part of the token.
    token = readFileSync(values['token-file'], 'utf8').replace(/\r?\n$/, '');
  } else {
    token = process.env['DIRSYNC_SCIM_TOKEN'];
  }
  if (token === undefined || token === '') usage('no token: set DIRSYNC_SCIM_TOKEN or pass --token-file');
  if (/\s/.test(token)) usage('the token must not contain whitespace');
  return {
    port: values.port === undefined ? 18080 : parseInteger('port', values.port, 0, 65535),
    host: values.host ?? '127.0.0.1',
    dataFile: values.data,
    token,
    maxResults: values['max-results'] === undefined ? undefined : parseInteger('max-results', values['max-results'], 1, 100_000),
    bulk: parseBulk(values),
  };
}

function parseBulk(values: ReturnType<typeof parseFlags>): BulkSettings | undefined {
  const operations = values['bulk-max-operations'];
  const payload = values['bulk-max-payload'];
  if (values.bulk !== true) {
    if (operations !== undefined || payload !== undefined) usage('--bulk-max-operations and --bulk-max-payload need --bulk');
    return undefined;
  }
  return {
    maxOperations: operations === undefined ? 1000 : parseInteger('bulk-max-operations', operations, 1, 100_000),
    maxPayloadSize: payload === undefined ? 1_048_576 : parseInteger('bulk-max-payload', payload, 1, 1_073_741_824),
  };
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2));
  const target: ScimTarget = await startScimTarget({
    port: options.port,
    host: options.host,
    dataFile: options.dataFile,
    token: options.token,
    ...(options.maxResults === undefined ? {} : { maxResults: options.maxResults }),
    ...(options.bulk === undefined ? {} : { bulk: options.bulk }),
  });
  process.stdout.write(`SCIM target listening on ${target.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`SCIM target stopping (${signal})\n`);
    target.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`SCIM target failed to close cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`SCIM target failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
