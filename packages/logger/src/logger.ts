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
 * pino's error serializer, without the command arguments ioredis attaches to a Redis error (`command.args`: the
 * keys and values sent, e.g. a key holding an NHS number); the command's name stays, as `command`.
 */
function serializeError(error: Error): ReturnType<typeof pino.stdSerializers.err> {
  const serialized = pino.stdSerializers.err(error);
  const command: unknown = serialized['command'];
  if (typeof command === 'object' && command !== null) {
    const name: unknown = Reflect.get(command, 'name');
    // Only the name, as a string: a `name` key would be censored as a person's name.
    serialized['command'] = typeof name === 'string' ? name : 'unknown';
  }
  return serialized;
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
      serializers: { err: serializeError, error: serializeError },
    },
    options.destination,
  );
}
