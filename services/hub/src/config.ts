import { httpEnv, kafkaEnv, loadConfig, logEnv, redisEnv, type ConfigOf, type EnvSource } from '@hub/config';

/** Everything the all-in-one hub process reads from its environment. */
export const hubEnv = kafkaEnv.extend(redisEnv.shape).extend(httpEnv.shape).extend(logEnv.shape);
export type HubConfig = ConfigOf<typeof hubEnv>;

export function loadHubConfig(env?: EnvSource): HubConfig {
  return loadConfig(hubEnv, env);
}
