// Shared by this package's tests only (not exported from index.ts).
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@hub/logger';

export interface CapturedLogs {
  readonly logger: Logger;
  /** Raw lines, exactly as written. */
  readonly lines: string[];
  /** Parsed lines. */
  parsed(): Record<string, unknown>[];
  /** Everything written, for "never appears" assertions. */
  text(): string;
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: createLogger({ service: 'http-test', level: 'debug', destination }),
    lines,
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}
