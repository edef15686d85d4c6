import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A resolved secret. It prints as "[redacted]" everywhere (string conversion, JSON, util.inspect)
 * so a secret that ends up in a log call or a report by mistake still does not leak.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
