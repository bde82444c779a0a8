import type { HubViewName } from '@hub/contracts';
import { startStep, type KafkaClient, type StepBinding, type Subscription } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import { measureProgress, offsetsOf, type BuildProgress } from './view-progress.ts';

/**
 * Caught up, per partition: the group's committed offset is at most CAUGHT_UP_SLACK short of the end, or at most
 * MARKER_SLACK short and unmoved (offset and end) since the previous check. A group's commits never pass the marker a
 * transaction leaves after its records (1 short), nor the abort markers of transactions fenced at a restart (more).
 * A group stuck on a record a few short of the end also stands still: it is retried, then skipped (a replay
 * dead-letters nothing), so the build is short of it for that long.
 */
export const CAUGHT_UP_SLACK = 1;
export const MARKER_SLACK = 4;

/** The consumer group a build of `generation` replays a step under: its own, so it starts at the earliest offset. */
export function rebuildGroupId(groupId: string, generation: string): string {
  return `${groupId}.rebuild-${generation}`;
}

/** One generation of one view being built by this process: its steps replaying their topics into its key space. */
export interface ViewBuild {
  readonly view: HubViewName;
  readonly generation: string;
  /** Reads the build's groups' lag: how far it has got, and whether every group has caught up. */
  check(): Promise<{ readonly caughtUp: boolean; readonly progress: BuildProgress }>;
  /** Stops its consumers; their groups keep their offsets, so a build resumed elsewhere continues from them. */
  stop(): Promise<void>;
  /** Stops its consumers and deletes their groups (a finished or abandoned build). */
  discard(): Promise<void>;
}

/**
 * Starts `steps` (bound to the new generation's key space) in replay under groups of their own
 * (`rebuildGroupId`): projectors apply every record again, stages compute and discard their outputs.
 */
export async function startViewBuild(options: {
  readonly view: HubViewName;
  readonly generation: string;
  readonly steps: readonly StepBinding[];
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  readonly now?: () => number;
}): Promise<ViewBuild> {
  const { view, generation, kafka, steps } = options;
  const now = options.now ?? Date.now;
  const groups = steps.map((binding) => ({
    groupId: rebuildGroupId(binding.step.groupId, generation),
    topic: binding.step.input,
  }));
  const lags = () => Promise.all(groups.map(({ groupId, topic }) => kafka.lag(groupId, topic)));
  const started = { committed: offsetsOf(await lags()).committed, atMs: now() };
  const subscriptions: Subscription[] = [];
  try {
    for (const [index, binding] of steps.entries()) {
      const groupId = groups[index]?.groupId ?? '';
      subscriptions.push(await startStep(kafka, binding, { groupId, replay: true }));
    }
  } catch (error) {
    await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
    throw error;
  }
  options.logger.info({ view, generation, groups: groups.length }, `view ${view}: building generation ${generation}`);

  /** Per group and partition, where the previous check found it (`committed/end`). */
  const previous = new Map<string, string>();
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= Promise.allSettled(subscriptions.map((s) => s.stop())).then(() => undefined));

  return {
    view,
    generation,
    async check() {
      const current = await lags();
      let caughtUp = true;
      current.forEach((lag, index) => {
        for (const partition of lag.partitions) {
          const at = `${groups[index]?.groupId ?? ''}/${partition.partition}`;
          const seen = `${partition.committed ?? '-'}/${partition.end}`;
          const still = previous.get(at) === seen;
          previous.set(at, seen);
          if (partition.lag > CAUGHT_UP_SLACK && !(still && partition.lag <= MARKER_SLACK)) caughtUp = false;
        }
      });
      const offsets = offsetsOf(current);
      return { caughtUp, progress: measureProgress(generation, started, { ...offsets, atMs: now() }) };
    },
    stop,
    async discard() {
      await stop();
      // A group just left may still show as a member for a moment: a failure here only leaves an idle group.
      await Promise.allSettled(groups.map(({ groupId }) => kafka.deleteGroup(groupId)));
    },
  };
}
