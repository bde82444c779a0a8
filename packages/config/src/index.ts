export {
  loadConfig,
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  type DeepReadonly,
  type EnvSource,
} from './load.ts';
export {
  booleanString,
  commaList,
  existingPath,
  hostName,
  hostPort,
  intInRange,
  urlString,
  MAX_ENV_VALUE_LENGTH,
  type CommaListOptions,
  type PathKind,
  type UrlStringOptions,
} from './coerce.ts';
export {
  redisEnv,
  postgresEnv,
  httpEnv,
  logEnv,
  LOG_LEVELS,
  MAX_HTTP_BODY_LIMIT_BYTES,
  type LogLevelName,
} from './env.ts';
export {
  kafkaEnv,
  kafkaSecurityProblems,
  KAFKA_DURABILITY_PROFILES,
  KAFKA_SASL_MECHANISMS,
  MAX_KAFKA_BROKERS,
} from './kafka-env.ts';
export { auditLogEnv, MAX_AUDIT_WITNESSES } from './audit-log-env.ts';
export { consoleEnv } from './console-env.ts';
