import type { ConsoleTimeline } from '@hub/contracts';
import { timeline } from '../api.ts';
import { actionLabel, CONTENT_VIEW_REASON_LABELS, lawfulBasisLabel } from '../contract.ts';
import { field, h, replace, time, type Child } from '../dom.ts';
import { errorMessage } from '../errors.ts';
import { contentButton } from './content.ts';
import type { Screen } from './screen.ts';

/**
 * Everything that happened to one incident or plan, oldest first: receipt, matching, each decision (rule, policy
 * version, outcome, lawful basis, reason: withholds and exceptions too), signing, delivery, who fetched and
 * acknowledged what and when, and who opened content and why. A notification's content opens only with a reason.
 */
const RECORD_ID = /^(rcpt|cpv|cpr|lkp|fgv)_[a-f0-9]{32}$/;

type Entry = ConsoleTimeline['items'][number];

export const renderTimeline: Screen = async (main, context) => {
  const receiptId = context.params.get('receiptId');
  const incidentRef = context.params.get('incidentRef');
  const record = h('input', {
    name: 'record',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 80,
    value: receiptId ?? incidentRef ?? '',
  });
  const form = h(
    'form',
    { novalidate: true, 'aria-label': 'Find an incident or plan' },
    field(
      'Incident or plan',
      record,
      'A receipt or plan version id (rcpt_…, cpv_…), or a reference such as ASP:ASP-2026-004417',
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show timeline')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = record.value.trim();
    if (value === '') return;
    location.hash = `#/timeline?${RECORD_ID.test(value) ? 'receiptId' : 'incidentRef'}=${encodeURIComponent(value)}`;
  });
  const body = h('div', {});
  replace(main, h('h1', { tabindex: -1 }, 'Timeline'), form, body);
  if (receiptId === null && incidentRef === null) return;

  replace(body, h('p', { role: 'status' }, 'Loading the timeline…'));
  let answer: ConsoleTimeline;
  try {
    answer = await timeline(receiptId === null ? { incidentRef: incidentRef ?? undefined } : { receiptId });
  } catch (error) {
    if (context.isCurrent()) replace(body, errorMessage(error));
    return;
  }
  if (!context.isCurrent()) return;
  const what = receiptId ?? incidentRef ?? '';
  const count = answer.items.length;
  replace(
    body,
    h('h2', {}, `${count} step${count === 1 ? '' : 's'} for ${what}`),
    answer.truncated ? h('p', { class: 'notice' }, 'Only the oldest steps are shown: this record has more.') : null,
    count === 0
      ? h('p', {}, 'Nothing is recorded for this record in your area.')
      : h('ol', { class: 'timeline' }, answer.items.map(step)),
  );
};

function step(event: Entry): HTMLLIElement {
  const outcome = event.decision?.outcome;
  const contentSlot = h('div', {});
  const viewReason = event.action === 'notification-content-viewed' ? reasonLabel(event.reason) : null;
  return h(
    'li',
    {
      class: `step${outcome === undefined ? '' : ` outcome-${outcome}`}`,
      'data-action': event.action,
      'data-event': event.eventId,
    },
    h('h3', {}, time(event.at), ' ', h('span', { class: 'action' }, actionLabel(event.action))),
    h(
      'dl',
      { class: 'facts' },
      fact('Service', event.service),
      fact(
        'By',
        event.actor === null ? 'the hub' : `${event.actor.clientId} (${event.actor.role}, ${event.actor.organisation})`,
      ),
      fact('Subject', event.subjectRef),
      fact('NHS number', event.nhsNumber),
      fact('Recipient', event.recipient),
      fact('Notification', event.notificationId),
      viewReason === null
        ? fact(REASON_LABELS[event.action] ?? 'Reason', event.reason)
        : fact('Reason given', viewReason),
      fact('Note', event.reasonNote),
      event.decision === null
        ? null
        : [
            fact('Decision', h('strong', { class: `badge ${event.decision.outcome}` }, event.decision.outcome)),
            fact('Rule', event.decision.rule),
            fact('Policy version', event.decision.policyVersion),
            fact(
              'Lawful basis',
              event.decision.lawfulBasis.length === 0
                ? 'none'
                : h(
                    'ul',
                    {},
                    event.decision.lawfulBasis.map((code) => h('li', {}, lawfulBasisLabel(code))),
                  ),
            ),
            fact('Why', event.decision.reason),
          ],
      fact('Log entry', event.leafIndex === null ? 'not yet in the log' : `#${event.leafIndex}`),
    ),
    event.notificationId === null || event.action !== CONTENT_STEP
      ? null
      : [contentButton(event.notificationId, contentSlot), contentSlot],
  );
}

/** What the event's `reason` code means on steps where it is not a reason. */
const REASON_LABELS: Readonly<Record<string, string>> = {
  'incident-received': 'Version',
  'subject-matched': 'Matched by',
  'notification-signed': 'Signing key',
  'console-signed-in': 'Signed in with',
};

/** The step after which a notification's content is in its inbox to be shown: one button per notification. */
const CONTENT_STEP = 'notification-stored';

function reasonLabel(code: string | null): string | null {
  if (code === null) return null;
  return (CONTENT_VIEW_REASON_LABELS as Readonly<Record<string, string>>)[code] ?? code;
}

function fact(label: string, value: Child): Child {
  if (value === null || value === undefined || value === '') return null;
  return [h('dt', {}, label), h('dd', {}, value)];
}
