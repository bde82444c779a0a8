import { randomBytes } from 'node:crypto';
import { VIEW_KEYS, viewStore, type HubViewName } from '@hub/contracts';
import type { RedisClient } from '@hub/redis';
import type { PostgresMarkers } from '@hub/runtime';

/** What `./hub rebuild` asked for one view. */
export interface RebuildAsked {
  readonly view: HubViewName;
  /** The generation being built: the one asked for now, or one already under way. */
  readonly generation: string;
  /** False when a build was already under way (it is followed instead of starting another). */
  readonly asked: boolean;
  /** Whether the view's marker was deleted (`discard`): its routes answer not-ready until the build is served. */
  readonly discarded: boolean;
}

/**
 * Asks for a new generation of each view (README "When Redis loses its data"): the hub instance holding the view's
 * builder lease replays its topics into the new generation's key space and switches to it once caught up; until
 * then the current generation is served. `discard` also deletes the marker, so the current generation is served no
 * more (for a view known to be wrong, e.g. after an unclean Redis stop). A hub that is not running builds it at its
 * next start. Safe to run again: a build already asked for is kept.
 */
export async function askForRebuild(
  redis: RedisClient,
  views: readonly HubViewName[],
  options: { readonly discard?: boolean; readonly postgres?: PostgresMarkers } = {},
): Promise<RebuildAsked[]> {
  const asked: RebuildAsked[] = [];
  for (const view of new Set(views)) {
    const mine = randomBytes(6).toString('hex');
    const set = await redis.set(VIEW_KEYS.building(view), mine, 'NX');
    const generation = set === 'OK' ? mine : await redis.get(VIEW_KEYS.building(view));
    // The marker of a view kept in PostgreSQL is there (the builds are coordinated in Redis either way).
    const discarded =
      options.discard === true &&
      (viewStore(view) === 'postgres'
        ? await markersFor(view, options.postgres).discard(view)
        : (await redis.del(VIEW_KEYS.generation(view))) === 1);
    asked.push({ view, generation: generation ?? mine, asked: set === 'OK', discarded });
  }
  return asked;
}

/** Where a view's build stands: served (done), building (with its builder's progress, if one has reported), or neither. */
export type RebuildState =
  | { readonly state: 'served'; readonly generation: string }
  | { readonly state: 'building'; readonly generation: string; readonly progress: unknown }
  | { readonly state: 'waiting'; readonly generation: string };

/** The markers of the views kept in PostgreSQL: needed for one. */
function markersFor(view: HubViewName, markers: PostgresMarkers | undefined): PostgresMarkers {
  if (markers === undefined) throw new Error(`view ${view} is kept in PostgreSQL: POSTGRES_URL is needed`);
  return markers;
}

/** One look at a view's build of `generation`. */
export async function rebuildState(
  redis: RedisClient,
  view: HubViewName,
  generation: string,
  postgres?: PostgresMarkers,
): Promise<RebuildState> {
  const [marker, building, progress] = await redis.mget(
    VIEW_KEYS.generation(view),
    VIEW_KEYS.building(view),
    VIEW_KEYS.progress(view),
  );
  const served = viewStore(view) === 'postgres' ? await markersFor(view, postgres).read(view) : marker;
  if (served === generation) return { state: 'served', generation };
  if (building === generation && progress !== null && progress !== undefined) {
    return { state: 'building', generation, progress: JSON.parse(progress) as unknown };
  }
  return { state: 'waiting', generation };
}
