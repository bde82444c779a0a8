import type { ClientCore } from './client.ts';

/** A group's offsets cannot be moved while it has members: stop every consumer of the group first. */
export class GroupActiveError extends Error {
  override readonly name = 'GroupActiveError';
  readonly groupId: string;
  readonly members: number;
  constructor(groupId: string, members: number) {
    super(`consumer group ${groupId} has ${members} active member(s): stop its consumers first`);
    this.groupId = groupId;
    this.members = members;
  }
}

/** How many members consumer group `groupId` (logical) has now; 0 for a group that does not exist. */
export async function groupMembers(core: ClientCore, groupId: string): Promise<number> {
  const admin = await core.admin();
  const { groups } = await admin.describeGroups([core.names.group(groupId)]);
  return groups[0]?.members.length ?? 0;
}

/**
 * Deletes consumer group `groupId` (logical) and its committed offsets: a finished rebuild's group, whose offsets no
 * consumer will use again. Refuses (GroupActiveError) while it has members; answers false when there was no group.
 */
export async function deleteGroup(core: ClientCore, groupId: string): Promise<boolean> {
  const members = await groupMembers(core, groupId);
  if (members > 0) throw new GroupActiveError(groupId, members);
  const admin = await core.admin();
  const physical = core.names.group(groupId);
  const { groups } = await admin.listGroups();
  if (!groups.some((group) => group.groupId === physical)) return false;
  await admin.deleteGroups([physical]);
  return true;
}

/**
 * Deletes every topic of this client's namespace (a test's, when it is done with them), so that a run of many tests
 * does not leave the broker holding tens of thousands of partitions (file handles, heap). Refuses a client without
 * a namespace: it never deletes a deployment's topics. Answers how many it deleted.
 */
export async function deleteNamespaceTopics(core: ClientCore): Promise<number> {
  const namespace = core.names.namespace;
  if (namespace === '') throw new Error('deleteNamespaceTopics needs a client with a topic namespace');
  const admin = await core.admin();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(namespace));
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  return topics.length;
}
