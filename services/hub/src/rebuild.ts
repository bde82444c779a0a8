import { HUB_VIEWS, stateOwnerOf, viewGenerationKey, viewSteps, type HubViewName } from '@hub/contracts';
import type { KafkaClient } from '@hub/kafka';
import { scanKeys, type RedisClient } from '@hub/redis';

/** The most keys one view's rebuild deletes in one run (SCAN collects them first); beyond, it refuses. */
export const MAX_REBUILD_KEYS_PER_PATTERN = 1_000_000;
/** Keys per DEL. */
const DELETE_BATCH = 500;

/** A rebuild that must not start: a group of the views still has members (the hub runs). */
export class RebuildRefusedError extends Error {
  override readonly name = 'RebuildRefusedError';
  /** The groups with members (logical ids, as in `STEPS`). */
  readonly activeGroups: readonly string[];
  constructor(activeGroups: readonly string[]) {
    super(
      `consumer groups with active members: ${activeGroups.join(', ')}; stop every hub instance first ` +
        "(a group's offsets can be reset only while it has no members)",
    );
    this.activeGroups = activeGroups;
  }
}

/** What a view's rebuild did: ids, topics, offsets and counts only. */
export interface ViewRebuild {
  readonly view: HubViewName;
  readonly groups: readonly {
    readonly groupId: string;
    readonly topic: string;
    readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
  }[];
  readonly keysDeleted: number;
  /** Whether a generation marker was there to delete. */
  readonly markerDeleted: boolean;
}

/**
 * Prepares each view to be rebuilt at the hub's next start (README "When Redis loses its data"): refuses while any
 * of their consumer groups has members; resets each group (the `STEPS` that write the view) to the earliest offsets
 * of its input topic; deletes the view's keys (its `HUB_VIEWS` patterns, by SCAN; a key a pattern matches but that
 * another entry of `state.ts` names more closely, e.g. receipt-status' `:status` under incident-versions'
 * `da:receipt:*`, is left to that entry: deleted only when that view is rebuilt too) and, last, its generation marker. The next start
 * then finds each view new (no marker, groups that have consumed nothing) and replays it. Running it again after a
 * failure part-way is safe.
 */
export async function rebuildViews(options: {
  readonly kafka: KafkaClient;
  /** With the deployment's key prefix. */
  readonly redis: RedisClient;
  readonly views: readonly HubViewName[];
  /** Called as each view is done. */
  readonly onView?: (done: ViewRebuild) => void;
}): Promise<ViewRebuild[]> {
  const { kafka, redis } = options;
  const views = [...new Set(options.views)];
  const groups = [...new Set(views.flatMap((view) => viewSteps(view).map((step) => step.groupId)))];
  const members = await Promise.all(groups.map((groupId) => kafka.groupMembers(groupId)));
  const active = groups.filter((_groupId, index) => (members[index] ?? 0) > 0);
  if (active.length > 0) throw new RebuildRefusedError(active);

  const done: ViewRebuild[] = [];
  for (const view of views) {
    const reset = [];
    for (const step of viewSteps(view)) {
      const { partitions } = await kafka.resetGroupToEarliest(step.groupId, step.input);
      reset.push({ groupId: step.groupId, topic: step.input.name, partitions });
    }
    let keysDeleted = 0;
    for (const pattern of HUB_VIEWS[view].keys) {
      const keys = (await scanKeys(redis, pattern, { maxKeys: MAX_REBUILD_KEYS_PER_PATTERN })).filter((key) => {
        const owner = stateOwnerOf(key);
        return owner?.kind === 'view' && owner.name === view;
      });
      for (let at = 0; at < keys.length; at += DELETE_BATCH) {
        keysDeleted += await redis.del(...keys.slice(at, at + DELETE_BATCH));
      }
    }
    const markerDeleted = (await redis.del(viewGenerationKey(view))) === 1;
    const result: ViewRebuild = { view, groups: reset, keysDeleted, markerDeleted };
    done.push(result);
    options.onView?.(result);
  }
  return done;
}

/** One view's rebuild in lines for the terminal: group ids, topics, offsets, counts; never keys (they hold ids). */
export function describeRebuild(done: ViewRebuild): string {
  const lines = [`${done.view}:`];
  for (const group of done.groups) {
    const offsets = group.partitions.map((p) => `${p.partition}@${p.offset}`).join(' ');
    lines.push(`  group ${group.groupId} reset to the earliest offsets of ${group.topic} (${offsets})`);
  }
  lines.push(`  keys deleted: ${done.keysDeleted}`);
  lines.push(`  generation marker ${done.markerDeleted ? 'deleted' : 'was already gone'}`);
  return `${lines.join('\n')}\n`;
}
