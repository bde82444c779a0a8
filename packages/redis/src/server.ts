import type { RedisClient } from './client.ts';

/**
 * The server's run id (INFO server `run_id`): a new one at every start of the Redis process, so a change means it
 * restarted, and what it holds was reloaded from its persistence files, or is empty.
 */
export async function serverRunId(client: RedisClient): Promise<string> {
  const info = await client.info('server');
  const match = /^run_id:([0-9a-f]+)\r?$/m.exec(info);
  if (match?.[1] === undefined) throw new Error('Redis INFO server has no run_id');
  return match[1];
}
