import { AUDIT_INTEGRITY_LIMITS, type auditSearchPage } from '@hub/contracts';
import type { z } from 'zod';
import { encodeAuditCursor } from './cursor.ts';
import type { AuditOrder, FoundAuditRow } from './store.ts';

export type AuditSearchPage = z.infer<typeof auditSearchPage>;

/**
 * The page answered for a search run with `limit + 1` rows (one more than the page, to know whether there is a next
 * page without a trailing empty one). The page is its first `limit` rows: their readable events as items, the others
 * counted in `integrity` with where they were recorded, so paging reports each once; the cursor is the last row's.
 */
export function auditSearchPageOf(found: readonly FoundAuditRow[], limit: number, order: AuditOrder): AuditSearchPage {
  const rows = found.slice(0, limit);
  const last = rows.at(-1);
  const more = found.length > limit && last !== undefined;
  const unreadable = rows.filter((row) => row.stored === undefined);
  return {
    items: rows.flatMap((row) => (row.stored === undefined ? [] : [row.stored])),
    nextCursor: more ? encodeAuditCursor({ ...last.position, order }) : null,
    integrity: {
      unreadable: unreadable.length,
      positions: unreadable
        .slice(0, AUDIT_INTEGRITY_LIMITS.positions)
        .map(({ position }) => ({ partition: position.partition, offset: position.offset })),
    },
  };
}
