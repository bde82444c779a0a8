import type { RedisClient } from './client.ts';

/** A client whose every command goes to the client it was last switched to. */
export interface SwitchableRedis {
  /** Hand this to the code that keeps it: every property and command is the current client's. */
  readonly client: RedisClient;
  /** Sends every later command to `next`; answers the client it replaces (the caller closes it). */
  switchTo(next: RedisClient): RedisClient;
}

/**
 * One stable client over a changing one: a view's store holds it, and the runtime switches it to the key space of
 * the view's new generation when a rebuild completes (a client's key prefix is fixed when it is created). A
 * command, MULTI or pipeline already started stays on the client it started on.
 */
export function switchableRedis(initial: RedisClient): SwitchableRedis {
  let current = initial;
  const client = new Proxy(initial, {
    get(_target, property) {
      const value: unknown = Reflect.get(current, property, current);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
  return {
    client,
    switchTo(next) {
      const previous = current;
      current = next;
      return previous;
    },
  };
}
