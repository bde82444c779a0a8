/**
 * Preloaded by the `./hub` commands that use the local stack but take the hub's own configuration keys (`./hub dlq`,
 * `./hub bench`): `node --import ./infra/local/src/local-env.ts <entry>`. Puts KAFKA_BROKERS, REDIS_URL, POSTGRES_URL,
 * HTTP_PORT and HUB_TOKEN_URL, derived from the LOCAL_* variables (settings.ts), into the environment, except those already
 * set: a key given explicitly (another cluster) wins.
 */
import { localHubEnv, readSettings } from './settings.ts';

try {
  for (const [key, value] of Object.entries(localHubEnv(readSettings()))) {
    if (process.env[key] === undefined || process.env[key] === '') process.env[key] = value;
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
