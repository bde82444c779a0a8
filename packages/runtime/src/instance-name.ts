import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@hub/logger';
import { releaseIfHeld, type RedisClient } from '@hub/redis';

/** How long a lease outlives its last renewal, and about how long a starting instance waits for a crashed holder's. */
export const INSTANCE_LEASE_MS = 6_000;

// Takes the name if free, renews it if already ours; 0 while another instance holds it.
const CLAIM = `
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

export interface InstanceNameLease {
  /** False until the name is claimed, and whenever Redis cannot confirm it: the hub is then not ready. */
  held(): boolean;
  release(): Promise<void>;
  /** Stops renewing without giving the name up: it runs out INSTANCE_LEASE_MS after the last renewal. */
  abandon(): void;
}

/**
 * Holds the instance name (KAFKA_INSTANCE_NAME) while the hub runs. The name is part of the hub's request-side
 * Kafka transactional ids, so two live instances with one name would fence each other's transactions on every
 * request: a second one refuses to start. A crashed holder's lease runs out after INSTANCE_LEASE_MS, and a restart
 * with the same name waits for that. When Redis does not answer at start the hub starts anyway, not ready, and
 * claims the name in the background (it is renewed every third of the lease).
 */
export async function holdInstanceName(
  redis: RedisClient,
  options: { name: string; instanceId: string; logger: Logger; leaseMs?: number },
): Promise<InstanceNameLease> {
  const { name, instanceId, logger } = options;
  const leaseMs = options.leaseMs ?? INSTANCE_LEASE_MS;
  const key = `hub:instance:${name}`;
  let held = false;

  async function claim(): Promise<'held' | 'taken' | 'unreachable'> {
    try {
      held = (await redis.eval(CLAIM, 1, key, instanceId, String(leaseMs))) === 1;
      return held ? 'held' : 'taken';
    } catch {
      held = false;
      return 'unreachable';
    }
  }

  const giveUpAt = Date.now() + leaseMs + 1_000;
  for (let outcome = await claim(); outcome !== 'held'; outcome = await claim()) {
    if (outcome === 'unreachable') {
      logger.warn(
        { instanceName: name },
        'instance name not claimed: Redis did not answer; claiming in the background',
      );
      break;
    }
    if (Date.now() >= giveUpAt) {
      throw new Error(
        `instance name "${name}" is held by another live hub instance: give each instance its own KAFKA_INSTANCE_NAME`,
      );
    }
    logger.warn({ instanceName: name }, 'instance name held by another instance; waiting for its lease to run out');
    await sleep(Math.min(1_000, leaseMs / 3));
  }

  // The renewal in flight, so release() deletes the name after it, never before (it would take the name back).
  let renewing: Promise<void> = Promise.resolve();
  const renewal = setInterval(() => {
    renewing = claim().then((outcome) => {
      if (outcome !== 'held') logger.error({ instanceName: name, outcome }, 'instance name not held');
    });
  }, leaseMs / 3);
  renewal.unref();
  return {
    held: () => held,
    async release() {
      clearInterval(renewal);
      await renewing;
      held = false;
      await releaseIfHeld(redis, key, instanceId);
    },
    abandon() {
      clearInterval(renewal);
      held = false;
    },
  };
}
