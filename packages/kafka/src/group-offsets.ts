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
