export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.ts';
export { withContext, currentContext, currentTraceId, newTraceId, type LogContext } from './context.ts';
export { REDACT_PATHS, SENSITIVE_KEYS, CENSOR } from './redaction.ts';
