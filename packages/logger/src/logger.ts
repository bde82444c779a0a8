import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { currentContext } from './context.ts';
import { CENSOR, REDACT_PATHS } from './redaction.ts';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  /** The service name written on every line (`service`), e.g. `police-gateway`. */
  readonly service: string;
  readonly level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger that censors personal data and secrets by key (see redaction.ts) and stamps every line with
 * the trace id of the surrounding request or message (see context.ts).
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'msg',
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      mixin: () => ({ ...currentContext() }),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    options.destination,
  );
}
