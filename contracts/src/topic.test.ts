import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_DURABILITY, defineTopic, type TopicDeclaration } from './topic.ts';
import { ALL_TOPICS } from './topics.ts';

const declared: TopicDeclaration = {
  name: 'test.durable.v1',
  description: 'test',
  schema: z.object({}),
  partitions: 1,
  retentionMs: 1000,
  cleanupPolicy: 'delete',
};

describe('topic durability', () => {
  it('gives every topic of the catalogue three replicas, two in sync, in production; one and one locally', () => {
    for (const topic of ALL_TOPICS) {
      expect([topic.name, topic.durability]).toEqual([
        topic.name,
        {
          production: { replicationFactor: 3, minInsyncReplicas: 2 },
          local: { replicationFactor: 1, minInsyncReplicas: 1 },
        },
      ]);
    }
  });

  it('takes a per-profile override and keeps the default for the other profile', () => {
    const topic = defineTopic({
      ...declared,
      durability: { production: { replicationFactor: 5, minInsyncReplicas: 3 } },
    });
    expect(topic.durability).toEqual({
      production: { replicationFactor: 5, minInsyncReplicas: 3 },
      local: DEFAULT_DURABILITY.local,
    });
  });

  it('accepts a defined topic spread into another declaration (same durability)', () => {
    const first = defineTopic({ ...declared, durability: { local: { replicationFactor: 2, minInsyncReplicas: 1 } } });
    expect(defineTopic({ ...first, name: 'test.copy.v1' }).durability).toEqual(first.durability);
  });

  it.each([
    ['local', { replicationFactor: 1, minInsyncReplicas: 2 }, /min.insync.replicas 2 exceeds the replication factor 1/],
    ['local', { replicationFactor: 0, minInsyncReplicas: 0 }, /whole numbers >= 1/],
    ['local', { replicationFactor: 1.5, minInsyncReplicas: 1 }, /whole numbers >= 1/],
    ['production', { replicationFactor: 3, minInsyncReplicas: 1 }, /min.insync.replicas >= 2.*got 1 of 3/],
    ['production', { replicationFactor: 2, minInsyncReplicas: 2 }, /below the replication factor.*got 2 of 2/],
    ['production', { replicationFactor: 3, minInsyncReplicas: 3 }, /got 3 of 3/],
  ] as const)('refuses %s durability %j', (profile, durability, message) => {
    expect(() => defineTopic({ ...declared, durability: { [profile]: durability } })).toThrow(message);
  });
});
