import { randomUUID } from 'node:crypto';
import { viewGenerationKey, viewSteps, type HubViewName } from '@hub/contracts';
import type { ReadinessCheck } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { RedisClient } from '@hub/redis';

/** How often each view's generation marker is checked (and a building view's lag read), besides each readiness probe. */
export const VIEW_CHECK_INTERVAL_MS = 2_000;

/**
 * Caught up, per partition: the group's committed offset is at most CAUGHT_UP_SLACK short of the end, or at most
 * MARKER_SLACK short and unmoved (offset and end) since the previous check. A group's commits never pass the marker a
 * transaction leaves after its records (1 short), nor the abort markers of transactions fenced at a restart (more).
 * A group stuck on a record a few short of the end also stands still: it is retried, then dead-lettered, so the view
 * is short of it for that long. (Exact would be consumers committing past those markers: see issue 9.)
 */
export const CAUGHT_UP_SLACK = 1;
export const MARKER_SLACK = 4;

/**
 * - `unchecked`: Redis or Kafka did not answer the first check yet (decided, by the start rule, when they do);
 * - `building`: new (no marker, its groups have consumed nothing): ready once its groups catch up;
 * - `ready`: holds the generation this process wrote or found at start;
 * - `lost`: the marker went, or another generation replaced it: wiped or rebuilt under this process.
 */
export type ViewState = 'unchecked' | 'building' | 'ready' | 'lost';

export interface ViewGenerations {
  /**
   * Decides each view's state from its marker and its groups' offsets, then checks on an interval. Call before the
   * view's steps start. Never throws: a view Redis or Kafka could not tell about stays `unchecked` until they can.
   */
  start(): Promise<void>;
  /** Synchronous, for every request of a route that reads the view. */
  ready(view: HubViewName): boolean;
  state(view: HubViewName): ViewState;
  /** One check per view, named view:<name>, failing while it is not ready. */
  readonly readinessChecks: readonly ReadinessCheck[];
  stop(): void;
}

/** What an operator does about a lost view, in the log and README. */
const REBUILD_BY_HAND =
  'stop every hub instance, run `./hub rebuild <view>` (resets its consumer groups to the earliest offsets, deletes ' +
  'its keys and generation marker), start the hub (README: "When Redis loses its data")';

/**
 * The generation marker of each view this process keeps (`view:<name>:generation`, under the deployment's key
 * prefix; `@hub/contracts` `viewGenerationKey`): the id of the build the view's keys hold.
 *
 * At start, per view: a marker present is remembered (the view is ready). A marker missing while none of the
 * view's groups (the `STEPS` that write it) has consumed anything makes the view new (`building`): once every group
 * has caught up with the end of its input topic, a new generation is written (SET NX; an instance that loses the
 * race adopts the winner's) and the view is ready. A marker missing while a group HAS consumed (its keys were wiped
 * under it) makes the view `lost`. Afterwards, every VIEW_CHECK_INTERVAL_MS and on each readiness probe, a marker
 * that is missing or differs from the remembered one makes a ready view `lost`. Lost stays lost in this process:
 * the view is rebuilt with the hub stopped (`./hub rebuild`) today (issue 9 item 3 rebuilds it by itself).
 */
export function createViewGenerations(options: {
  readonly views: readonly HubViewName[];
  readonly redis: RedisClient;
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): ViewGenerations {
  const { redis, kafka } = options;
  const logger = options.logger.child({ component: 'view-generations' });
  const views = [...new Set(options.views)];
  const states = new Map<HubViewName, ViewState>(views.map((view) => [view, 'unchecked']));
  const generations = new Map<HubViewName, string>();
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function consumedAnything(view: HubViewName): Promise<boolean> {
    const lags = await Promise.all(viewSteps(view).map((step) => kafka.lag(step.groupId, step.input)));
    return lags.some((lag) => lag.progressed);
  }

  /** Per group and partition, where the previous check found it (`committed/end`). */
  const previous = new Map<string, string>();

  async function caughtUp(view: HubViewName): Promise<boolean> {
    const steps = viewSteps(view);
    const lags = await Promise.all(steps.map((step) => kafka.lag(step.groupId, step.input)));
    let all = true;
    lags.forEach((lag, index) => {
      for (const partition of lag.partitions) {
        const at = `${steps[index]?.groupId ?? ''}/${partition.partition}`;
        const seen = `${partition.committed ?? '-'}/${partition.end}`;
        const still = previous.get(at) === seen;
        previous.set(at, seen);
        if (partition.lag > CAUGHT_UP_SLACK && !(still && partition.lag <= MARKER_SLACK)) all = false;
      }
    });
    return all;
  }

  function lose(view: HubViewName, why: 'missing' | 'foreign'): void {
    states.set(view, 'lost');
    logger.error(
      { view, marker: why },
      `view ${view} lost (its generation marker is ${why}): its routes answer not-ready; to rebuild, ${REBUILD_BY_HAND}`,
    );
  }

  async function decideAtStart(view: HubViewName): Promise<void> {
    const marker = await redis.get(viewGenerationKey(view));
    if (marker !== null) {
      generations.set(view, marker);
      states.set(view, 'ready');
      return;
    }
    if (await consumedAnything(view)) {
      lose(view, 'missing');
      return;
    }
    states.set(view, 'building');
    logger.info({ view }, `view ${view} is new: building from its topics`);
  }

  async function checkOne(view: HubViewName): Promise<void> {
    const state = states.get(view);
    if (state === 'lost') return;
    if (state === 'unchecked') {
      await decideAtStart(view);
      if (states.get(view) !== 'building') return;
    }
    const key = viewGenerationKey(view);
    const marker = await redis.get(key);
    if (state === 'ready') {
      if (marker === null) lose(view, 'missing');
      else if (marker !== generations.get(view)) lose(view, 'foreign');
      return;
    }
    // Building: another instance may have finished first; else write ours once the groups have caught up.
    if (marker === null) {
      if (!(await caughtUp(view))) return;
      await redis.set(key, randomUUID(), 'NX');
      // Ours, or the one another instance wrote first.
      const written = await redis.get(key);
      if (written === null) return;
      generations.set(view, written);
    } else {
      generations.set(view, marker);
    }
    states.set(view, 'ready');
    logger.info({ view, generation: generations.get(view) }, `view ${view} built`);
  }

  /** One check of every view at a time; a probe during a check waits for it. */
  function checkAll(): Promise<void> {
    running ??= Promise.all(views.map((view) => checkOne(view)))
      .then(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  /** Redis or Kafka unreachable: their own readiness checks say so; the views keep their state. */
  async function checkQuietly(): Promise<void> {
    try {
      await checkAll();
    } catch (error) {
      logger.warn({ errorName: error instanceof Error ? error.name : typeof error }, 'view check failed');
    }
  }

  return {
    async start() {
      started = true;
      await checkQuietly();
      timer = setInterval(() => void checkQuietly(), options.intervalMs ?? VIEW_CHECK_INTERVAL_MS);
      timer.unref();
    },
    ready: (view) => states.get(view) === 'ready',
    state: (view) => states.get(view) ?? 'unchecked',
    readinessChecks: views.map((view) => ({
      name: `view:${view}`, // a readiness check's name: not a Redis key
      async check() {
        if (started) await checkAll();
        const state = states.get(view) ?? 'unchecked';
        if (state !== 'ready') throw new Error(`view ${view} is ${state}`);
      },
    })),
    stop() {
      clearInterval(timer);
    },
  };
}
