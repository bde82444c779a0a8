/**
 * `./hub rebuild [--discard] [--no-follow] [view ...]`: asks for a new generation of views (every view when none is
 * named; `rebuild.ts`), then follows each build until it is served, printing its progress (events read, events/s,
 * time left). The running hub builds it beside the generation it serves and switches when caught up; a stopped hub
 * builds it at its next start. Prints view names, generation ids and counts, never keys or values.
 * Reads REDIS_URL, REDIS_KEY_PREFIX, LOG_LEVEL (default warn) and, for a view kept in PostgreSQL (audit),
 * POSTGRES_URL and POSTGRES_SCHEMA. `./hub rebuild` runs it with infra/local/src/local-env.ts preloaded, so REDIS_URL
 * and POSTGRES_URL default to the local stack's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HUB_VIEW_NAMES, viewStore, type HubViewName } from '@hub/contracts';
import { ConfigError, loadConfig, logEnv, postgresEnv, redisEnv } from '@hub/config';
import { createLogger } from '@hub/logger';
import { createPostgres } from '@hub/postgres';
import { closeRedis, createRedis } from '@hub/redis';
import { describeProgress, postgresMarkers, type BuildProgress } from '@hub/runtime';
import { askForRebuild, rebuildState } from './rebuild.ts';

const POLL_MS = 1_000;
/** With no builder reporting for this long, no hub is running: the build is left for the next start. */
const NO_BUILDER_MS = 15_000;

const USAGE = `usage: ./hub rebuild [--discard] [--no-follow] [view ...]     views: ${HUB_VIEW_NAMES.join(', ')} (default: all)`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}

Asks the hub to rebuild each view from its Kafka topics into a new generation, beside the one it serves, and to
switch to it once it has caught up; then follows each build until it is served, printing its progress.
  --discard    also stop serving the current generation now (its routes answer 503 not-ready until the new one
               is served): for a view known to be wrong, e.g. after an unclean Redis stop
  --no-follow  ask and exit
A hub that is not running builds the view at its next start. Safe to run again: a build under way is followed.

Redis: REDIS_URL (the local stack's unless set), REDIS_KEY_PREFIX (the hub's; default hub:).
PostgreSQL, for the audit view: POSTGRES_URL (the local stack's unless set), POSTGRES_SCHEMA (default public).
`);
  process.exit(0);
}
const flags = args.filter((arg) => arg.startsWith('--'));
const unknownFlags = flags.filter((flag) => flag !== '--discard' && flag !== '--no-follow');
const named = args.filter((arg) => !arg.startsWith('--'));
const unknown = named.filter((arg) => !(HUB_VIEW_NAMES as readonly string[]).includes(arg));
if (unknown.length > 0 || unknownFlags.length > 0) {
  process.stderr.write(`unknown: ${[...unknownFlags, ...unknown].join(', ')}\n${USAGE}\n`);
  process.exit(2);
}
const views = (named.length === 0 ? HUB_VIEW_NAMES : named) as readonly HubViewName[];

/** The configuration, or exit 1 with every problem listed. */
function load<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
const env = { LOG_LEVEL: 'warn', ...process.env };
const config = load(() => loadConfig(redisEnv.extend(logEnv.shape), env));
// PostgreSQL's keys only when a view kept there is asked for.
const postgresConfig = views.some((view) => viewStore(view) === 'postgres')
  ? load(() => loadConfig(postgresEnv, env))
  : undefined;
const logger = createLogger({ service: 'hub-rebuild', level: config.LOG_LEVEL });
const redis = createRedis({
  url: config.REDIS_URL,
  keyPrefix: config.REDIS_KEY_PREFIX,
  connectionName: 'hub-rebuild',
  logger,
});
const postgres =
  postgresConfig === undefined
    ? undefined
    : createPostgres({
        url: postgresConfig.POSTGRES_URL,
        schema: postgresConfig.POSTGRES_SCHEMA,
        applicationName: 'hub-rebuild',
        logger,
      });
const markers = postgres === undefined ? undefined : postgresMarkers(postgres);

try {
  const asked = await askForRebuild(redis, views, {
    discard: flags.includes('--discard'),
    ...(markers === undefined ? {} : { postgres: markers }),
  });
  for (const { view, generation, asked: fresh, discarded } of asked) {
    const what = fresh ? 'asked for generation' : 'a build is already under way: generation';
    process.stdout.write(`${view}: ${what} ${generation}${discarded ? ' (current generation discarded)' : ''}\n`);
  }
  if (!flags.includes('--no-follow')) {
    const pending = new Map(asked.map(({ view, generation }) => [view, generation]));
    let lastReport = Date.now();
    while (pending.size > 0) {
      for (const [view, generation] of pending) {
        const state = await rebuildState(redis, view, generation, markers);
        if (state.state === 'served') {
          process.stdout.write(`${view}: generation ${generation} is served\n`);
          pending.delete(view);
        } else if (state.state === 'building') {
          lastReport = Date.now();
          process.stdout.write(`${describeProgress(view, state.progress as BuildProgress)}\n`);
        }
      }
      if (pending.size > 0 && Date.now() - lastReport > NO_BUILDER_MS) {
        process.stdout.write(
          `no hub instance is building ${[...pending.keys()].join(', ')}: the next hub to start builds them\n`,
        );
        break;
      }
      if (pending.size > 0) await sleep(POLL_MS);
    }
  }
} finally {
  await closeRedis(redis);
  await postgres?.close();
}
