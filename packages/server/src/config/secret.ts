import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A configuration value that must never reach a log line, an error message or a printed config.
 * It travels inside the frozen config object, but JSON (pino), util.inspect and string coercion
 * all print "[redacted]"; only the component that needs it calls reveal().
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
