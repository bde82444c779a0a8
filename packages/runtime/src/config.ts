import { authEnv } from '@hub/auth';
import {
  existingPath,
  httpEnv,
  kafkaEnv,
  loadConfig,
  logEnv,
  redisEnv,
  type ConfigOf,
  type EnvSource,
} from '@hub/config';
import { directoryEnv } from '@hub/directory';

/** Everything the all-in-one hub process reads from its environment (services/hub/README.md lists the keys). */
export const hubEnv = kafkaEnv
  .extend(redisEnv.shape)
  .extend(httpEnv.shape)
  .extend(logEnv.shape)
  .extend(authEnv.shape)
  .extend(directoryEnv.shape)
  .extend({
    /** A domestic-abuse policy JSON file; the shipped default policy when unset. */
    POLICY_FILE: existingPath('file').optional(),
    /** A child-protection policy JSON file; the shipped default (`cp-...`) when unset. */
    CP_POLICY_FILE: existingPath('file').optional(),
  });
export type HubConfig = ConfigOf<typeof hubEnv>;

export function loadHubConfig(env?: EnvSource): HubConfig {
  return loadConfig(hubEnv, env);
}
