import { describe, expect, it } from 'vitest';
import { createTopicNamer } from './topic-names.ts';

describe('topic namespace', () => {
  it('prefixes topics, dead-letter twins, groups and transactional ids', () => {
    const names = createTopicNamer('t3f9a.');
    expect(names.topic('incidents.received.v1')).toBe('t3f9a.incidents.received.v1');
    expect(names.deadLetter('incidents.received.v1')).toBe('t3f9a.incidents.received.v1.dlq');
    expect(names.group('router')).toBe('t3f9a.router');
    expect(names.transactionalId('router-0')).toBe('t3f9a.router-0');
  });

  it('is the identity without a namespace', () => {
    const names = createTopicNamer();
    expect(names.topic('hub.service-started.v1')).toBe('hub.service-started.v1');
    expect(names.deadLetter('hub.service-started.v1')).toBe('hub.service-started.v1.dlq');
  });

  it('rejects namespaces and names Kafka would reject', () => {
    expect(() => createTopicNamer('bad/ns.')).toThrow();
    expect(() => createTopicNamer('x'.repeat(65))).toThrow();
    expect(() => createTopicNamer('ns.').topic('a'.repeat(250))).toThrow(/legal Kafka topic name/);
    expect(() => createTopicNamer('ns.').group('has space')).toThrow(/groupId/);
    expect(() => createTopicNamer().group('')).toThrow(/groupId/);
  });
});
