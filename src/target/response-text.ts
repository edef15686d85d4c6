import type { IncomingHttpHeaders } from 'node:http';
import { ScimErrorBody } from './scim-types';

export interface RawResponse {
  readonly status: number;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  readonly body: unknown;
  readonly text: string;
  readonly headers: IncomingHttpHeaders;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/**
 * A short, one-line rendering of a body that is not what we expected, for error messages: the
 * title and text of an HTML error page (a proxy's or a load balancer's), or the start of the text.
 */
export function snippet(text: string, max = 200): string {
  let shown = text;
  if (/<(!doctype|html|body|head)\b/i.test(text)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1]?.trim();
    const body = text
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<title[^>]*>[\s\S]*?<\/title>/i, ' ')
      .replace(/<[^>]*>/g, ' ');
    shown = `HTML page: ${[title, body.replace(/\s+/g, ' ').trim()].filter(Boolean).join(' - ')}`;
  }
  // Control characters would break a log line or a terminal.
  const flat = shown.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The SCIM error's detail when there is one, else a snippet of whatever came back. */
export function describeBody(res: RawResponse): { detail: string; scimType: string | undefined } {
  const parsed = ScimErrorBody.safeParse(res.body);
  if (parsed.success && parsed.data.detail) return { detail: snippet(parsed.data.detail, 500), scimType: parsed.data.scimType };
  return { detail: snippet(res.text) || '(empty body)', scimType: undefined };
}
