import { deadLetterTopicName } from '@hub/contracts';

/**
 * Logical names (what contracts and services use) to physical names (what the broker sees). The namespace is a
 * prefix on every topic, dead-letter twin, consumer group and transactional id, so that parallel test runs, or two
 * environments sharing a cluster, never see each other's data or offsets.
 */
export interface TopicNamer {
  readonly namespace: string;
  topic(logicalName: string): string;
  deadLetter(logicalName: string): string;
  group(groupId: string): string;
  transactionalId(id: string): string;
}

/** Kafka's own limit on a topic name, and its legal characters. */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_CHARS = /^[a-zA-Z0-9._-]*$/;
/** Group and transactional ids: we hold ourselves to the same characters, and a sane length. */
const MAX_ID_LENGTH = 200;
const LEGAL_ID = /^[a-zA-Z0-9._-]+$/;

export function createTopicNamer(namespace = ''): TopicNamer {
  if (!LEGAL_TOPIC_CHARS.test(namespace) || namespace.length > 64) {
    throw new Error('topicNamespace may only contain [a-zA-Z0-9._-] and be at most 64 characters');
  }
  const topic = (logicalName: string): string => checkedTopicName(namespace + logicalName);
  return {
    namespace,
    topic,
    deadLetter: (logicalName) => checkedTopicName(namespace + deadLetterTopicName(logicalName)),
    group: (groupId) => checkedId('groupId', namespace + groupId),
    transactionalId: (id) => checkedId('transactionalId', namespace + id),
  };
}

function checkedTopicName(name: string): string {
  if (name.length === 0 || name.length > MAX_TOPIC_NAME_LENGTH || !LEGAL_TOPIC_CHARS.test(name)) {
    throw new Error(`"${name}" is not a legal Kafka topic name`);
  }
  return name;
}

function checkedId(what: string, id: string): string {
  if (id.length > MAX_ID_LENGTH || !LEGAL_ID.test(id)) {
    throw new Error(`${what} "${id}" must be 1-${MAX_ID_LENGTH} characters of [a-zA-Z0-9._-]`);
  }
  return id;
}
