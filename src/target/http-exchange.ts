import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** An answer read to its end: what the SCIM client turns into a RawResponse. */
export interface Exchanged {
  readonly status: number;
  readonly text: string;
  readonly headers: IncomingHttpHeaders;
}

export interface ExchangeRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string>;
  readonly body?: string | undefined;
  readonly timeoutMs: number;
}

const BOM = [0xef, 0xbb, 0xbf] as const;

/** UTF-8 text of the gathered bytes, without a byte order mark (as undici's body.text() reads it). */
function textOf(chunks: readonly Buffer[], length: number): string {
  if (length === 0) return '';
  const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  const start = length > 2 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0;
  return bytes.toString('utf8', start);
}

/**
 * One request through undici's own dispatcher API (Dispatcher.dispatch), its answer gathered as
 * bytes. undici's request() wraps every answer in a Readable stream (an async resource, stream
 * state, events) that the client then reads to the end in one go: measured by hand with 2,000
 * POSTs at concurrency 8 against the SCIM target, that wrapping was about a third of the
 * client's CPU per request (320 -> 210 us), CPU a contended machine takes from the target.
 * Errors (refused connection, reset, header or body timeout) are undici's own, as request()
 * rejects with them; 1xx answers are passed over like request() does.
 */
export function exchange(dispatcher: Dispatcher, url: URL, request: ExchangeRequest): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    // A promise settles once: a late error after the end (or the reverse) changes nothing.
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let length = 0;
    const handler: Dispatcher.DispatchHandler = {
      // Its presence tells undici this handler speaks the current API (undici 7's unwrap check).
      onRequestStart() {},
      onResponseStart(_controller, statusCode, responseHeaders) {
        if (statusCode < 200) return;
        status = statusCode;
        headers = responseHeaders;
      },
      onResponseData(_controller, chunk) {
        chunks.push(chunk);
        length += chunk.length;
      },
      onResponseEnd() {
        resolve({ status, text: textOf(chunks, length), headers });
      },
      onResponseError(_controller, err) {
        reject(err);
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: request.headers,
          body: request.body ?? null,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        handler,
      );
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
