import { defineTopic, FOREVER } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { desiredTopics } from './admin.ts';
import { createTopicNamer } from './topic-names.ts';

const spec = defineTopic({
  name: 'test.kept.v1',
  description: 'test',
  schema: z.object({}),
  partitions: 3,
  retentionMs: FOREVER,
  cleanupPolicy: 'compact',
});

describe('desiredTopics', () => {
  it('declares each topic and its dead-letter twin with the same partitions, retention, cleanup and durability', () => {
    const configs = { 'retention.ms': '-1', 'cleanup.policy': 'compact', 'min.insync.replicas': '1' };
    expect(desiredTopics({ names: createTopicNamer('ns.') }, [spec, spec], 'local')).toEqual([
      { name: 'ns.test.kept.v1', partitions: 3, replicationFactor: 1, configs },
      { name: 'ns.test.kept.v1.dlq', partitions: 3, replicationFactor: 1, configs },
    ]);
  });

  it('takes the replication factor and min.insync.replicas of the profile it is asked for', () => {
    const production = desiredTopics({ names: createTopicNamer() }, [spec], 'production');
    expect(production.map((t) => [t.name, t.replicationFactor, t.configs['min.insync.replicas']])).toEqual([
      ['test.kept.v1', 3, '2'],
      ['test.kept.v1.dlq', 3, '2'],
    ]);
  });

  it('refuses one name declared twice with different settings', () => {
    const other = { ...spec, partitions: 1 };
    expect(() => desiredTopics({ names: createTopicNamer() }, [spec, other], 'local')).toThrow(/declared twice/);
  });
});
