import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@hub/logger';

export interface CapturedLogs {
  /** A real pino logger (same redaction and context as production) writing into memory. */
  readonly logger: Logger;
  /** Every line written so far, parsed. (Properties, not methods: safe to destructure.) */
  readonly lines: () => Record<string, unknown>[];
  /** Every line written so far, raw: search this to prove a value never appeared. */
  readonly text: () => string;
}

export function captureLogs(service = 'test'): CapturedLogs {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: createLogger({ service, level: 'trace', destination }),
    lines: () =>
      raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => raw.join(''),
  };
}
