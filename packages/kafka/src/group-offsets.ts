import type { TopicSpec } from '@hub/contracts';
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

/** Where a reset put each partition of the topic. */
export interface GroupReset {
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

/**
 * Sets consumer group `groupId`'s committed offsets on `topic` to the start of each partition's log (its low
 * watermark), so the group's next consumer replays the topic from its earliest retained record. Refuses
 * (GroupActiveError) while the group has members; kafkajs's setOffsets refuses too if one joins meanwhile.
 */
export async function resetGroupToEarliest(
  core: ClientCore,
  groupId: string,
  topic: TopicSpec | string,
): Promise<GroupReset> {
  const members = await groupMembers(core, groupId);
  if (members > 0) throw new GroupActiveError(groupId, members);
  const admin = await core.admin();
  const physical = core.names.topic(typeof topic === 'string' ? topic : topic.name);
  const partitions = (await admin.fetchTopicOffsets(physical))
    .map(({ partition, low }) => ({ partition, offset: low }))
    .sort((a, b) => a.partition - b.partition);
  await admin.setOffsets({ groupId: core.names.group(groupId), topic: physical, partitions });
  return { partitions };
}
