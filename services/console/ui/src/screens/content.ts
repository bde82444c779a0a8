import type { ContentViewRequest, NotificationContentView } from '@hub/contracts';
import { viewContent } from '../api.ts';
import { CONTENT_VIEW_REASON_LABELS, CONTRACT } from '../contract.ts';
import { field, h, replace, time, type Child } from '../dom.ts';
import { errorMessage } from '../errors.ts';

/**
 * Opening a notification's content: a modal dialog asks for the reason first (native <dialog>: focus stays inside,
 * Escape cancels, focus returns to the button that opened it): one of the contract's reason codes, and an optional
 * note in the officer's own words. The hub records the officer, the reason and what was shown before it answers;
 * the content is then drawn under the step it belongs to, with the id of the audit event that recorded the view.
 */
export function contentButton(notificationId: string, target: HTMLElement): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: 'secondary', 'data-notification': notificationId },
    'View content',
    h('span', { class: 'visually-hidden' }, ` of notification ${notificationId}`),
  );
  button.addEventListener('click', () => {
    openReasonDialog(notificationId, button, target);
  });
  return button;
}

function openReasonDialog(notificationId: string, opener: HTMLButtonElement, target: HTMLElement): void {
  const reasons = CONTRACT.contentViewReasons.map((code) =>
    h(
      'div',
      { class: 'radio' },
      h('input', { type: 'radio', name: 'reason', value: code, id: `reason-${code}`, required: true }),
      h('label', { for: `reason-${code}` }, CONTENT_VIEW_REASON_LABELS[code]),
    ),
  );
  const note = h('textarea', { name: 'note', maxlength: CONTRACT.reasonNoteChars, rows: 3 });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Record reason and view');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog', novalidate: true },
    h('h2', { id: 'reason-heading' }, 'Why do you need to see this content?'),
    h(
      'p',
      { id: 'reason-intro' },
      `Notification ${notificationId}. Your name, your reason and what you are shown are recorded in the audit trail.`,
    ),
    errors,
    h('fieldset', { class: 'radios' }, h('legend', {}, 'Reason'), reasons),
    field('Note (optional)', note, `In your own words, at most ${CONTRACT.reasonNoteChars} characters.`),
    h('div', { class: 'actions' }, submit, cancel),
  );
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'reason-heading', 'aria-describedby': 'reason-intro', class: 'reason-dialog' },
    form,
  );
  const close = () => {
    dialog.close();
    dialog.remove();
    opener.focus();
  };
  cancel.addEventListener('click', close);
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = form.querySelector<HTMLInputElement>('input[name="reason"]:checked');
    const code = CONTRACT.contentViewReasons.find((reason) => reason === chosen?.value);
    if (code === undefined) {
      const message = h('div', { class: 'error-summary', role: 'alert' }, h('p', {}, 'Choose a reason.'));
      replace(errors, message);
      form.querySelector<HTMLInputElement>('input[name="reason"]')?.focus();
      return;
    }
    const request: ContentViewRequest =
      note.value.trim() === '' ? { reason: code } : { reason: code, note: note.value.trim() };
    submit.disabled = true;
    viewContent(notificationId, request).then(
      (view) => {
        dialog.close();
        dialog.remove();
        const shown = drawContent(view, opener);
        replace(target, shown);
        shown.focus();
      },
      (error: unknown) => {
        submit.disabled = false;
        replace(errors, errorMessage(error));
      },
    );
  });
  document.body.append(dialog);
  dialog.showModal();
  form.querySelector<HTMLInputElement>('input[name="reason"]')?.focus();
}

function drawContent(view: NotificationContentView, opener: HTMLButtonElement): HTMLElement {
  const headingId = `content-${view.notificationId}`;
  const section = h(
    'section',
    { class: 'content-view', 'aria-labelledby': headingId, tabindex: -1 },
    h('h4', { id: headingId }, `Content of ${view.kind} notification to ${view.recipient}`),
    h(
      'p',
      { class: 'hint' },
      'Issued ',
      time(view.issuedAt),
      `, now ${view.status}. This view is recorded in the audit trail as `,
      h('span', { class: 'event-id' }, view.auditEventId),
      '.',
    ),
    describe(view.payload),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          section.remove();
          opener.focus();
        },
      },
      'Hide content',
    ),
  );
  return section;
}

/** Any JSON value as nested description lists and lists: readable, and nothing becomes markup. */
function describe(value: unknown): Child {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) {
    return value.length === 0
      ? 'none'
      : h(
          'ol',
          {},
          value.map((item) => h('li', {}, describe(item))),
        );
  }
  if (typeof value === 'object') {
    return h(
      'dl',
      { class: 'payload' },
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        h('dt', {}, key),
        h('dd', {}, describe(item)),
      ]),
    );
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
