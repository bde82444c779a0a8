import { AUDIT_INTEGRITY_LIMITS, type auditSearchPage } from '@hub/contracts';
import type { z } from 'zod';
import { encodeAuditCursor } from './cursor.ts';
import type { AuditSearchResult, UnreadableAuditEvent } from './store.ts';

export type AuditSearchPage = z.infer<typeof auditSearchPage>;

/**
 * The page answered for a search run with `limit + 1` (one more than the page, to know whether there is a next
 * page without a trailing empty one). Unreadable events after the page's last item belong to the next page and
 * are reported there, so each is reported once while paging.
 */
export function auditSearchPageOf(found: AuditSearchResult, limit: number): AuditSearchPage {
  const items = found.events.slice(0, limit);
  const last = items.at(-1);
  const more = found.events.length > limit && last !== undefined;
  const lastTime = last === undefined ? 0 : Date.parse(last.at);
  const unreadable = more
    ? found.unreadable.filter(
        (entry) => entry.time < lastTime || (entry.time === lastTime && entry.eventId < last.eventId),
      )
    : found.unreadable;
  return {
    items,
    nextCursor: more ? encodeAuditCursor({ time: lastTime, eventId: last.eventId }) : null,
    integrity: integrityOf(unreadable),
  };
}

function integrityOf(unreadable: readonly UnreadableAuditEvent[]): AuditSearchPage['integrity'] {
  const positions = unreadable.flatMap(({ partition, position }) =>
    partition === undefined || position === undefined ? [] : [{ partition, position }],
  );
  return { unreadable: unreadable.length, positions: positions.slice(0, AUDIT_INTEGRITY_LIMITS.positions) };
}
