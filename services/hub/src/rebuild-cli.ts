/**
 * `./hub rebuild [view ...]`: prepares views to be rebuilt from their topics at the hub's next start (every view when
 * none is named). With every hub instance stopped: resets each view's consumer groups to the earliest offsets of
 * their input topics, deletes the view's keys and its generation marker (`rebuild.ts`). Prints group ids, topics,
 * offsets and counts, never keys or values. Refuses (exit 1) while a group of the views has members.
 * Reads KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE, REDIS_URL, REDIS_KEY_PREFIX and LOG_LEVEL (default warn). `./hub
 * rebuild` runs it with infra/local/src/local-env.ts preloaded, so KAFKA_BROKERS and REDIS_URL default to the local
 * stack's (LOCAL_KAFKA_PORT, LOCAL_REDIS_PORT).
 */
import { HUB_VIEW_NAMES, type HubViewName } from '@hub/contracts';
import { ConfigError, kafkaEnv, loadConfig, logEnv, redisEnv } from '@hub/config';
import { createKafkaClient } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { closeRedis, createRedis } from '@hub/redis';
import { describeRebuild, rebuildViews, RebuildRefusedError } from './rebuild.ts';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const USAGE = `usage: ./hub rebuild [view ...]     views: ${HUB_VIEW_NAMES.join(', ')} (default: all)`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}

Prepares each view to be rebuilt from its topics at the hub's next start. Stop every hub instance first: it refuses
while any of the views' consumer groups has members. For each view: resets each of its consumer groups to the
earliest offsets of its input topic, deletes the view's keys (contracts/src/state.ts) and its generation marker.
Then start the hub: each view is new, replayed from its topics, and ready once its groups have caught up.
Prints group ids, topics, offsets and counts; never keys or values.

Kafka: KAFKA_BROKERS (${process.env['KAFKA_BROKERS'] ?? 'unset'}), KAFKA_TOPIC_NAMESPACE (the hub's; default none).
Redis: REDIS_URL (the local stack's unless set), REDIS_KEY_PREFIX (the hub's; default hub:).
`);
  process.exit(0);
}

const unknown = args.filter((arg) => !(HUB_VIEW_NAMES as readonly string[]).includes(arg));
if (unknown.length > 0) {
  process.stderr.write(`no view ${unknown.join(', ')}\n${USAGE}\n`);
  process.exit(2);
}
const views = (args.length === 0 ? HUB_VIEW_NAMES : args) as readonly HubViewName[];

let config;
try {
  config = loadConfig(kafkaEnv.extend(redisEnv.shape).extend(logEnv.shape), { LOG_LEVEL: 'warn', ...process.env });
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const logger = createLogger({ service: 'hub-rebuild', level: config.LOG_LEVEL });
const kafka = createKafkaClient({
  brokers: config.KAFKA_BROKERS,
  clientId: 'hub-rebuild',
  topicNamespace: config.KAFKA_TOPIC_NAMESPACE,
  logger,
});
const redis = createRedis({
  url: config.REDIS_URL,
  keyPrefix: config.REDIS_KEY_PREFIX,
  connectionName: 'hub-rebuild',
  logger,
});

try {
  process.stdout.write(`rebuilding ${views.join(', ')}\n`);
  await rebuildViews({ kafka, redis, views, onView: (done) => process.stdout.write(describeRebuild(done)) });
  process.stdout.write(
    'done: start the hub; each view is replayed from its topics, and the hub is ready once they have caught up\n',
  );
} catch (error) {
  if (error instanceof RebuildRefusedError) fail(`refused: ${error.message}`);
  throw error;
} finally {
  await Promise.allSettled([kafka.close(), closeRedis(redis)]);
}
