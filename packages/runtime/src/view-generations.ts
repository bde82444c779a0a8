import { randomBytes } from 'node:crypto';
import { HUB_VIEW_NAMES, VIEW_KEYS, viewStore, type HubViewName } from '@hub/contracts';
import type { ReadinessCheck } from '@hub/http';
import { NotYetError, type KafkaClient, type ProjectorBinding, type StageBinding, type StepBinding } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { Postgres } from '@hub/postgres';
import {
  closeRedis,
  deleteMatching,
  serverRunId,
  switchableRedis,
  type RedisClient,
  type SwitchableRedis,
} from '@hub/redis';
import { startViewBuild, type ViewBuild } from './view-build.ts';
import { noGenerationPostgres, postgresMarkers, switchablePostgres, type SwitchablePostgres } from './view-postgres.ts';
import { describeProgress, type BuildProgress } from './view-progress.ts';

/** How often each view's marker is checked and a build driven, besides each readiness probe. */
export const VIEW_CHECK_INTERVAL_MS = 2_000;
/** A builder's lease: renewed at every check, so another instance takes a build over within this after a crash. */
const BUILDER_LEASE_MS = 15_000;
/** How often a build's progress is logged. */
const PROGRESS_LOG_MS = 10_000;
/** A replaced key space's client is closed this long after the switch (commands already sent finish). */
const CLOSE_REPLACED_AFTER_MS = 5_000;

/**
 * - `unchecked`: Redis or Kafka did not answer yet;
 * - `ready`: serves a generation (a rebuild of it may be going on beside it);
 * - `rebuilding`: no generation to serve (never built, wiped, or Redis restarted): its routes answer not-ready and
 *   its steps wait, while one instance builds a new generation.
 */
export type ViewState = 'unchecked' | 'ready' | 'rebuilding';

export interface ViewGenerations {
  /**
   * The views this process keeps (its services' `views`), once they are made; each `redisFor` call must have been
   * for one of them.
   */
  keep(views: readonly HubViewName[]): void;
  /** The first check (never throws: a view Redis or Kafka could not tell about stays `unchecked`), then one every interval. */
  start(): Promise<void>;
  /** Synchronous: as of the last check. */
  ready(view: HubViewName): boolean;
  /**
   * For every request of a route that reads the view: ready, and its marker still names the generation served here.
   * A loss since the last check (a wipe, a Redis restarted empty), or a switch by another instance's rebuild, is seen
   * at once, not up to an interval later: the route answers not-ready instead of reading an empty key space (a
   * notification not found, an inbox page skipping what was lost).
   */
  confirm(view: HubViewName): Promise<boolean>;
  state(view: HubViewName): ViewState;
  /** Read-only, for metrics: how far the build of the view this instance runs has got, as of its last check. */
  buildProgress(view: HubViewName): BuildProgress | undefined;
  /** The client a view's modules keep: always the key space of the generation this process serves. */
  redisFor(view: HubViewName): RedisClient;
  /** For a view kept in PostgreSQL: always the schema of the generation this process serves. */
  postgresFor(view: HubViewName): Postgres;
  /** A live step that waits (`NotYetError`) while the view it writes or reads is not ready. */
  gate(binding: StepBinding): StepBinding;
  /** One check per view, named view:<name>, failing while it is not ready. */
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Stops checking and building (a build's groups keep their offsets: another instance resumes it), closes clients. */
  stop(): Promise<void>;
}

/** Where a build of a view writes: a Redis key space, or a PostgreSQL schema (`HUB_VIEWS[view].store`). */
export type ViewSpace = { readonly redis: RedisClient } | { readonly postgres: Postgres };

export interface ViewGenerationsOptions {
  /** Under the deployment's key prefix: the markers of Redis views, and every view's builds (lease, progress). */
  readonly redis: RedisClient;
  /** The deployment's schema: the markers of the views kept in PostgreSQL (view-postgres.ts). */
  readonly postgres: Postgres;
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  /** This process, as a builder's lease names it. */
  readonly instanceId: string;
  /** A new client on a generation's key space (the deployment's prefix + `VIEW_KEYS.space`). */
  openSpace(view: HubViewName, generation: string): RedisClient;
  /** A new client on a PostgreSQL view generation's schema, made and migrated when new (`generationSchema`). */
  openPostgresSpace(view: HubViewName, generation: string): Promise<Postgres>;
  /** The view's projecting steps, writing into `space` (a new generation's key space or schema). */
  buildSteps(view: HubViewName, space: ViewSpace): readonly StepBinding[];
  readonly intervalMs?: number;
  /** How long a build goes on replaying after its switch, for records live instances applied to the old one. */
  readonly switchGraceMs?: number;
}

interface ViewRun {
  state: ViewState;
  served: string | undefined;
  readonly live: SwitchableRedis;
  /** For a view kept in PostgreSQL: its generation's schema. */
  readonly livePostgres: SwitchablePostgres | undefined;
  /** A generation being opened (a PostgreSQL schema is migrated first): checks wait for it rather than open twice. */
  opening: Promise<void> | undefined;
  build: (ViewBuild & { switchedAt?: number; progress?: BuildProgress }) | undefined;
  lastProgressLog: number;
}

const newGeneration = () => randomBytes(6).toString('hex');

// Redis restarted (its run id is not the one the markers were written under) or lost its data: every view's
// marker and build goes, atomically, once, whichever instance notices first. KEYS[1] is the run id key.
const NOTICE_RESTART = `
local seen = redis.call('get', KEYS[1])
if seen == ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1])
local gone = 0
for i = 2, #KEYS do gone = gone + redis.call('del', KEYS[i]) end
return gone`;

// A PostgreSQL view's switch may go ahead: the generation is still the one asked for and this instance still holds
// the lease. KEYS: building, builder.
const MAY_SWITCH = `
if redis.call('get', KEYS[1]) ~= ARGV[1] or redis.call('get', KEYS[2]) ~= ARGV[2] then return 0 end
return 1`;

// Takes the build lease, or renews it if held: 1 if this instance holds it now.
const HOLD_LEASE = `
local holder = redis.call('get', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE_LEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

// The switch: the generation built becomes the one served, if it is still the one asked for and this instance
// still holds the lease. KEYS: building, generation, builder.
const SWITCH = `
if redis.call('get', KEYS[1]) ~= ARGV[1] or redis.call('get', KEYS[3]) ~= ARGV[2] then return 0 end
redis.call('set', KEYS[2], ARGV[1])
redis.call('del', KEYS[1])
return 1`;

/** A client for a view this process has no generation of yet: every command fails as Redis being unavailable. */
function noGeneration(view: HubViewName, redis: RedisClient): RedisClient {
  const refuse = () => Promise.reject(new Error(`view ${view} has no generation yet`));
  // A pipeline or MULTI is built before it is sent (a batch projector's writes): its commands queue, its exec
  // refuses. A rejected promise in its place would be rejected unread: an unhandled rejection.
  const batch: object = new Proxy(
    {},
    { get: (_target, property) => (property === 'exec' ? refuse : property === 'then' ? undefined : () => batch) },
  );
  return new Proxy(redis, {
    get(_target, property) {
      if (property === 'options') return redis.options;
      if (property === 'pipeline' || property === 'multi') return () => batch;
      return refuse;
    },
  });
}

/**
 * Which build (generation) of each view this process serves, and the builds themselves (README "When Redis loses
 * its data"). Each view's keys live in its generation's key space (`VIEW_KEYS.space`); `VIEW_KEYS.generation` names
 * the one served. Every VIEW_CHECK_INTERVAL_MS, and on each readiness probe:
 * 1. Redis restart or wipe: a Redis run id other than the one recorded (`VIEW_KEYS.redisRunId`) deletes every
 *    marker and build at once: an `everysec` append-only file may have lost the last second of writes whose
 *    offsets were committed, so no view written before is trusted.
 * 2. Per view: a marker present is served (another than ours: a rebuild finished elsewhere, so this process
 *    switches its clients to it). A marker missing makes the view `rebuilding` (routes 503, steps wait) and asks
 *    for a build (`VIEW_KEYS.building`, SET NX: one generation however many instances ask).
 * 3. A build asked for (a loss, or `./hub rebuild` on a running hub) is run by the one instance holding its lease
 *    (`VIEW_KEYS.builder`): the view's steps replay their topics from the earliest offset under groups of their own
 *    into the new key space; progress goes to the log and `VIEW_KEYS.progress`; once every group has caught up, one
 *    write switches the marker to it, and every instance serves it from its next check. The build goes on for a
 *    grace period after the switch (records live instances applied to the old space meanwhile), then its groups and
 *    every other key space of the view are deleted. If the builder dies, another instance takes the lease and
 *    resumes from the build's committed offsets.
 */
export function createViewGenerations(options: ViewGenerationsOptions): ViewGenerations {
  const { redis, kafka, instanceId } = options;
  const markers = postgresMarkers(options.postgres);
  const inPostgres = (view: HubViewName) => viewStore(view) === 'postgres';
  const intervalMs = options.intervalMs ?? VIEW_CHECK_INTERVAL_MS;
  const switchGraceMs = options.switchGraceMs ?? 3 * intervalMs;
  const logger = options.logger.child({ component: 'view-generations' });
  const runs = new Map<HubViewName, ViewRun>();
  let views: readonly HubViewName[] | undefined;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runOf = (view: HubViewName): ViewRun => {
    let run = runs.get(view);
    if (run === undefined) {
      if (views !== undefined) throw new Error(`view ${view} is not kept by this process`);
      run = {
        state: 'unchecked',
        served: undefined,
        live: switchableRedis(noGeneration(view, redis)),
        livePostgres: inPostgres(view) ? switchablePostgres(noGenerationPostgres(view, options.postgres)) : undefined,
        opening: undefined,
        build: undefined,
        lastProgressLog: 0,
      };
      runs.set(view, run);
    }
    return run;
  };

  async function noticeRestart(): Promise<void> {
    const runId = await serverRunId(redis);
    // A view kept in PostgreSQL loses nothing when Redis restarts.
    const keys = HUB_VIEW_NAMES.filter((view) => !inPostgres(view)).flatMap((view) => [
      VIEW_KEYS.generation(view),
      VIEW_KEYS.building(view),
    ]);
    const gone = (await redis.eval(NOTICE_RESTART, 1 + keys.length, VIEW_KEYS.redisRunId, ...keys, runId)) as number;
    if (gone > 0) {
      logger.warn(
        { markersDeleted: gone },
        'Redis restarted or lost its data since the views were built: every view is rebuilt from Kafka',
      );
    }
  }

  /**
   * A reconnection (a network blip, or Redis restarted: with its append-only file it may come back without the last
   * second of writes, and its run id is only read at the next check) makes every view unchecked until a check has
   * compared the run id and the markers: until then its routes answer not-ready and its steps wait, so nothing reads
   * or appends to a view that may have lost writes.
   */
  function watchReconnects(client: RedisClient): void {
    let connected = client.status === 'ready';
    client.on('ready', () => {
      if (!connected) {
        connected = true;
        return;
      }
      let unchecked = 0;
      for (const run of runs.values()) {
        if (run.state === 'ready') {
          run.state = 'unchecked';
          unchecked++;
        }
      }
      if (unchecked > 0)
        logger.warn({ views: unchecked }, 'Redis reconnected: each view is checked before it is served');
      void checkQuietly();
    });
  }
  watchReconnects(redis);

  /** Serves `generation` of the view: its key space (or schema) becomes the one its modules' client talks to. */
  function serve(view: HubViewName, generation: string): Promise<void> {
    const run = runOf(view);
    run.opening ??= (async () => {
      const first = run.served === undefined;
      let replaced: { close(): Promise<unknown> };
      if (run.livePostgres === undefined) {
        const space = options.openSpace(view, generation);
        watchReconnects(space);
        const old = run.live.switchTo(space);
        replaced = { close: () => closeRedis(old) };
      } else {
        // Migrated on opening: a generation built by an older release gets this release's new migrations.
        const old = run.livePostgres.switchTo(await options.openPostgresSpace(view, generation));
        replaced = { close: () => old.close() };
      }
      run.served = generation;
      run.state = 'ready';
      if (!first) setTimeout(() => void replaced.close().catch(() => undefined), CLOSE_REPLACED_AFTER_MS).unref();
      logger.info({ view, generation }, `view ${view}: serving generation ${generation}`);
    })().finally(() => {
      run.opening = undefined;
    });
    return run.opening;
  }

  /** The generation served as its marker says (null: lost or never built). */
  async function markerOf(view: HubViewName): Promise<string | null> {
    return inPostgres(view) ? markers.read(view) : redis.get(VIEW_KEYS.generation(view));
  }

  async function holdLease(view: HubViewName): Promise<boolean> {
    const held = await redis.eval(HOLD_LEASE, 1, VIEW_KEYS.builder(view), instanceId, String(BUILDER_LEASE_MS));
    return held === 1;
  }

  async function endBuild(view: HubViewName, how: 'finished' | 'abandoned'): Promise<void> {
    const run = runOf(view);
    const build = run.build;
    if (build === undefined) return;
    run.build = undefined;
    await build.discard();
    await redis.eval(RELEASE_LEASE, 1, VIEW_KEYS.builder(view), instanceId);
    if (how === 'finished' && run.served !== undefined) {
      // Every other generation's keys (the one replaced, any abandoned build's) but one asked for since.
      const building = await redis.get(VIEW_KEYS.building(view));
      const keep = [run.served, ...(building === null ? [] : [building])];
      if (inPostgres(view)) {
        const dropped = await markers.dropOthers(view, keep);
        logger.info({ view, generation: build.generation, schemasDropped: dropped }, `view ${view}: rebuild finished`);
      } else {
        const except = keep.map((g) => VIEW_KEYS.space(view, g));
        const deleted = await deleteMatching(redis, `gen:{${view}:*`, { except });
        logger.info({ view, generation: build.generation, keysDeleted: deleted }, `view ${view}: rebuild finished`);
      }
    } else {
      logger.warn({ view, generation: build.generation }, `view ${view}: build of ${build.generation} abandoned`);
    }
  }

  async function driveBuild(view: HubViewName, generation: string): Promise<void> {
    const run = runOf(view);
    if (run.build !== undefined && run.build.generation !== generation) await endBuild(view, 'abandoned');
    if (!(await holdLease(view))) {
      // Another instance builds (or took the lease over): stop ours, keeping its offsets for the holder.
      if (run.build !== undefined) {
        await run.build.stop();
        run.build = undefined;
      }
      return;
    }
    if (run.build === undefined) {
      const opened = inPostgres(view)
        ? { space: { postgres: await options.openPostgresSpace(view, generation) } as ViewSpace }
        : { space: { redis: options.openSpace(view, generation) } as ViewSpace };
      const close = () =>
        ('postgres' in opened.space ? opened.space.postgres.close() : closeRedis(opened.space.redis)).catch(
          () => undefined,
        );
      try {
        const build = await startViewBuild({
          view,
          generation,
          steps: options.buildSteps(view, opened.space),
          kafka,
          logger,
        });
        run.build = {
          ...build,
          stop: () => build.stop().then(close),
          discard: () => build.discard().then(close),
        };
      } catch (error) {
        await close();
        throw error;
      }
    }
    const build = run.build;
    const { caughtUp, progress } = await build.check();
    build.progress = progress;
    await redis.set(VIEW_KEYS.progress(view), JSON.stringify(progress), 'PX', 3 * intervalMs);
    if (Date.now() - run.lastProgressLog >= PROGRESS_LOG_MS) {
      run.lastProgressLog = Date.now();
      logger.info({ view, ...progress }, describeProgress(view, progress));
    }
    if (!caughtUp) return;
    if (!(await switchMarker(view, generation))) return;
    build.switchedAt = Date.now();
    logger.info({ view, ...progress }, `view ${view}: switched to generation ${generation}`);
    await serve(view, generation);
  }

  /**
   * The switch: the generation built becomes the one served, if it is still the one asked for and this instance still
   * holds the lease. For a view in PostgreSQL the marker is written there between the check and the end of the ask:
   * a crash in between leaves an ask naming the generation served, which the next check ends (checkBuild).
   */
  async function switchMarker(view: HubViewName, generation: string): Promise<boolean> {
    const building = VIEW_KEYS.building(view);
    const builder = VIEW_KEYS.builder(view);
    if (!inPostgres(view)) {
      return (await redis.eval(SWITCH, 3, building, VIEW_KEYS.generation(view), builder, generation, instanceId)) === 1;
    }
    if ((await redis.eval(MAY_SWITCH, 2, building, builder, generation, instanceId)) !== 1) return false;
    await markers.write(view, generation);
    await redis.eval(RELEASE_LEASE, 1, building, generation); // deletes the ask if it still names this generation
    return true;
  }

  /** The marker: served, switched to another generation, or missing (lost). Quick: readiness probes wait for it. */
  async function checkMarker(view: HubViewName): Promise<void> {
    const run = runOf(view);
    if (run.opening !== undefined) await run.opening;
    const marker = await markerOf(view);
    if (marker !== null) {
      if (marker !== run.served) await serve(view, marker);
      else run.state = 'ready'; // confirmed after a reconnection
    } else if (run.state !== 'rebuilding') {
      if (run.state === 'ready') {
        logger.error({ view }, `view ${view} lost (its generation marker is missing): rebuilding it from Kafka`);
      }
      run.state = 'rebuilding';
    }
  }

  /** A build: asked for when the view has none, taken up if this instance gets the lease, driven to its switch. */
  async function checkBuild(view: HubViewName): Promise<void> {
    const run = runOf(view);
    const build = run.build;
    if (build?.switchedAt !== undefined) {
      // Switched here: replay on for the grace period, then tidy up.
      if (Date.now() - build.switchedAt >= switchGraceMs) await endBuild(view, 'finished');
      else await holdLease(view);
      return;
    }
    const marker = await markerOf(view);
    let asked = await redis.get(VIEW_KEYS.building(view));
    if (asked !== null && asked === marker && run.build === undefined) {
      // Switched (in PostgreSQL) by an instance that stopped before it ended the ask: nothing to build.
      await redis.eval(RELEASE_LEASE, 1, VIEW_KEYS.building(view), asked);
      return;
    }
    if (asked === null && run.build !== undefined) await endBuild(view, 'abandoned'); // wiped under it
    if (asked === null && marker === null) {
      await redis.set(VIEW_KEYS.building(view), newGeneration(), 'NX');
      asked = await redis.get(VIEW_KEYS.building(view));
    }
    if (asked !== null) await driveBuild(view, asked);
  }

  /** One check of every marker at a time; a probe during a check waits for it. */
  function checkAll(): Promise<void> {
    running ??= (async () => {
      await noticeRestart();
      await Promise.all([...runs.keys()].map((view) => checkMarker(view)));
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  /**
   * Builds are driven apart from the marker checks (starting a build's consumers takes seconds), each view's one
   * round at a time and the views apart: a round that takes long (a build's consumers starting, or a finished
   * build's groups and key spaces going) holds up only its own view, not another's switch (a round of every view at
   * once made each wait for the slowest; issue 10).
   */
  const driving = new Map<HubViewName, Promise<void>>();
  function driveAll(): Promise<void> {
    const rounds = [...runs.keys()].map((view) => {
      let round = driving.get(view);
      if (round === undefined) {
        round = checkBuild(view).finally(() => driving.delete(view));
        driving.set(view, round);
      }
      return round;
    });
    return Promise.all(rounds).then(() => undefined);
  }

  /** Redis or Kafka unreachable: their own readiness checks say so; the views keep their state. */
  async function checkQuietly(): Promise<void> {
    if (stopped) return;
    try {
      await checkAll();
      await driveAll();
    } catch (error) {
      const code: unknown = error instanceof Error ? Reflect.get(error, 'code') : undefined;
      logger.warn(
        {
          errorName: error instanceof Error ? error.name : typeof error,
          ...(typeof code === 'string' ? { errorCode: code } : {}),
        },
        'view check failed',
      );
    }
  }

  const readinessChecks: ReadinessCheck[] = [];
  return {
    keep(kept) {
      const unkept = [...runs.keys()].filter((view) => !kept.includes(view));
      if (unkept.length > 0) throw new Error(`views used but kept by no service of this process: ${unkept.join(', ')}`);
      for (const view of kept) runOf(view);
      views = [...runs.keys()];
      readinessChecks.push(
        ...views.map((view) => ({
          name: `view:${view}`, // a readiness check's name: not a Redis key
          async check() {
            if (started) await checkAll();
            const state = runs.get(view)?.state ?? 'unchecked';
            if (state !== 'ready') throw new Error(`view ${view} is ${state}`);
          },
        })),
      );
    },
    async start() {
      if (views === undefined) throw new Error('keep() the views before start()');
      started = true;
      await checkQuietly();
      timer = setInterval(() => void checkQuietly(), intervalMs);
      timer.unref();
    },
    ready: (view) => runs.get(view)?.state === 'ready',
    async confirm(view) {
      const run = runs.get(view);
      if (run?.state !== 'ready') return false;
      // The generation this instance serves, not any: after a loss, another instance's rebuild may have switched the
      // marker to a new generation, and the one served here is the lost (empty) one until this instance switches.
      if ((await markerOf(view)) === run.served) return true;
      void checkQuietly(); // lost or switched: every route and step of the view waits until checked, not the interval
      return false;
    },
    state: (view) => runs.get(view)?.state ?? 'unchecked',
    buildProgress: (view) => runs.get(view)?.build?.progress,
    redisFor: (view) => runOf(view).live.client,
    postgresFor(view) {
      const live = runOf(view).livePostgres;
      if (live === undefined) throw new Error(`view ${view} is kept in Redis, not PostgreSQL`);
      return live.client;
    },
    gate(binding) {
      const step = binding.step;
      const needs = [
        ...(step.view === undefined ? [] : [step.view]),
        ...(step.kind === 'stage' ? (step.reads ?? []) : []),
      ];
      for (const view of needs) runOf(view); // kept here, or a bug: refuse at start
      if (needs.length === 0) return binding;
      return gatedBinding(binding, () => {
        const waiting = needs.find((view) => runs.get(view)?.state !== 'ready');
        return waiting === undefined ? undefined : Promise.reject(new NotYetError(`view ${waiting} is not ready`));
      });
    },
    readinessChecks,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([running, ...driving.values()]);
      for (const [view, run] of runs) {
        if (run.build !== undefined) {
          // A switched build is done with (its groups go); another is left for an instance to resume.
          await (run.build.switchedAt === undefined ? run.build.stop() : run.build.discard());
          await redis.eval(RELEASE_LEASE, 1, VIEW_KEYS.builder(view), instanceId).catch(() => undefined);
        }
        if (run.served !== undefined && run.livePostgres !== undefined) {
          await run.livePostgres.switchTo(noGenerationPostgres(view, options.postgres)).close();
        } else if (run.served !== undefined) {
          await closeRedis(run.live.switchTo(noGeneration(view, redis))).catch(() => undefined);
        }
      }
    },
  };
}

/**
 * `binding` whose handlers first ask `notReady` (a `NotYetError` rejection while a view it needs is not ready): a
 * record's, a batch projector's batch, and a stage's round preparation and each input of the round (a view may stop
 * being ready in the middle of a round).
 */
export function gatedBinding(binding: StepBinding, notReady: () => Promise<never> | undefined): StepBinding {
  const handle = binding.handle.bind(binding) as (message: never) => Promise<unknown>;
  const projector = binding.step.kind === 'projector' ? (binding as ProjectorBinding) : undefined;
  const handleBatch =
    projector?.handleBatch === undefined
      ? undefined
      : (messages: never) => projector.handleBatch?.(messages) ?? Promise.resolve();
  const stage = binding.step.kind === 'stage' ? (binding as StageBinding) : undefined;
  const prepareRound = stage?.prepareRound?.bind(stage) as
    ((messages: never) => Promise<(message: never) => Promise<unknown>>) | undefined;
  return {
    ...binding,
    handle: (message: never) => notReady() ?? handle(message),
    // A batch projector waits the same way, a whole batch at a time.
    ...(handleBatch === undefined ? {} : { handleBatch: (messages: never) => notReady() ?? handleBatch(messages) }),
    ...(prepareRound === undefined
      ? {}
      : {
          prepareRound: async (messages: never) => {
            const round = await (notReady() ?? prepareRound(messages));
            return (message: never) => notReady() ?? round(message);
          },
        }),
  } as StepBinding;
}
