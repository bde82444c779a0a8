import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the repo is, and where the local stack keeps its downloads (.cache) and its data (.data). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface LocalStackSettings {
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly redisPort: number;
  /** Data, logs and pid files; git-ignored. */
  readonly dataDir: string;
  /** Maven-assembled broker jars; git-ignored, shared by every data dir. */
  readonly cacheDir: string;
}

const PORT_KEYS = {
  kafkaPort: 'LOCAL_KAFKA_PORT',
  kafkaControllerPort: 'LOCAL_KAFKA_CONTROLLER_PORT',
  redisPort: 'LOCAL_REDIS_PORT',
} as const;

const DEFAULT_PORTS = { kafkaPort: 9092, kafkaControllerPort: 9093, redisPort: 6380 } as const;

/**
 * Reads LOCAL_KAFKA_PORT, LOCAL_KAFKA_CONTROLLER_PORT, LOCAL_REDIS_PORT and LOCAL_DATA_DIR, listing every bad
 * value at once. Redis defaults to 6380 so it never collides with a system Redis on 6379.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): LocalStackSettings {
  const problems: string[] = [];
  const ports = Object.fromEntries(
    Object.entries(PORT_KEYS).map(([field, key]) => {
      const raw = env[key];
      if (raw === undefined || raw === '') return [field, DEFAULT_PORTS[field as keyof typeof DEFAULT_PORTS]];
      const port = Number(raw);
      if (!/^\d+$/.test(raw) || port < 1024 || port > 65535)
        problems.push(`${key} must be a port between 1024 and 65535`);
      return [field, port];
    }),
  ) as Record<keyof typeof PORT_KEYS, number>;
  if (new Set(Object.values(ports)).size !== Object.keys(ports).length) {
    problems.push(`${Object.values(PORT_KEYS).join(', ')} must all differ`);
  }
  if (problems.length > 0) throw new Error(`infra/local settings:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze({
    ...ports,
    dataDir: path.resolve(env['LOCAL_DATA_DIR'] ?? path.join(REPO_ROOT, '.data/local')),
    cacheDir: path.join(REPO_ROOT, '.cache/kafka'),
  });
}
