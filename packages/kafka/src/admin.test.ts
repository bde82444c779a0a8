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
  it('declares each topic and its dead-letter twin with the same partitions, retention and cleanup policy', () => {
    expect(desiredTopics({ names: createTopicNamer('ns.') }, [spec, spec])).toEqual([
      { name: 'ns.test.kept.v1', partitions: 3, configs: { 'retention.ms': '-1', 'cleanup.policy': 'compact' } },
      { name: 'ns.test.kept.v1.dlq', partitions: 3, configs: { 'retention.ms': '-1', 'cleanup.policy': 'compact' } },
    ]);
  });

  it('refuses one name declared twice with different settings', () => {
    const other = { ...spec, partitions: 1 };
    expect(() => desiredTopics({ names: createTopicNamer() }, [spec, other])).toThrow(/declared twice/);
  });
});
