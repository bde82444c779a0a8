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
  kafkaEnv,
  redisEnv,
  httpEnv,
  logEnv,
  LOG_LEVELS,
  MAX_KAFKA_BROKERS,
  MAX_HTTP_BODY_LIMIT_BYTES,
  type LogLevelName,
} from './env.ts';
