import { randomBytes } from 'node:crypto';

/**
 * A fresh topic namespace for one test file or test: every physical topic (and its .dlq twin) gets this prefix,
 * so parallel and repeated runs never see each other's messages.
 */
export function isolatedTopicNamespace(): string {
  const namespace = `t${randomBytes(5).toString('hex')}.`;
  namespacesMade.add(namespace);
  return namespace;
}

/** The namespaces made in this test file (one module instance per file), for its clean-up to delete. */
const namespacesMade = new Set<string>();

/** The namespaces made since the last call, forgotten by it. */
export function takeTopicNamespaces(): string[] {
  const made = [...namespacesMade];
  namespacesMade.clear();
  return made;
}

/** A fresh Redis key prefix, for the same reason. */
export function isolatedRedisPrefix(): string {
  return `test:${randomBytes(5).toString('hex')}:`;
}

/** A fresh PostgreSQL schema name (`t_` and 10 hex digits), for the same reason; the test drops it afterwards. */
export function isolatedPostgresSchema(): string {
  return `t_${randomBytes(5).toString('hex')}`;
}

/** A unique id for consumer groups, transactional ids and client ids in tests. */
export function uniqueId(label: string): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}
