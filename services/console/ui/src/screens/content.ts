import type { ContentView } from '../api-types.ts';
import { viewContent } from '../api.ts';
import { field, h, replace, type Child } from '../dom.ts';
import { errorMessage } from '../errors.ts';

/**
 * Opening a notification's content: a modal dialog asks for the reason first (native <dialog>: focus stays inside,
 * Escape cancels, focus returns to the button that opened it). The hub records the officer, the reason and what was
 * shown before it answers; the content is then drawn under the event it belongs to.
 */
export const REASON_LIMITS = { min: 10, max: 500 } as const;

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
  const reason = h('textarea', {
    name: 'reason',
    required: true,
    minlength: REASON_LIMITS.min,
    maxlength: REASON_LIMITS.max,
    rows: 4,
  });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Record reason and view');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'reason-heading', 'aria-describedby': 'reason-intro', class: 'reason-dialog' },
    h(
      'form',
      { method: 'dialog', novalidate: true },
      h('h2', { id: 'reason-heading' }, 'Why do you need to see this content?'),
      h(
        'p',
        { id: 'reason-intro' },
        `Notification ${notificationId}. Your name, your reason and what you are shown are recorded in the audit trail.`,
      ),
      errors,
      field('Reason', reason, `At least ${REASON_LIMITS.min} characters, at most ${REASON_LIMITS.max}.`),
      h('div', { class: 'actions' }, submit, cancel),
    ),
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
  dialog.querySelector('form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (text.length < REASON_LIMITS.min) {
      const message = h(
        'div',
        { class: 'error-summary', role: 'alert' },
        h('p', {}, `Give a reason of at least ${REASON_LIMITS.min} characters.`),
      );
      replace(errors, message);
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    submit.disabled = true;
    viewContent(notificationId, text).then(
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
  reason.focus();
}

function drawContent(view: ContentView, opener: HTMLButtonElement): HTMLElement {
  const headingId = `content-${view.notificationId}`;
  const section = h(
    'section',
    { class: 'content-view', 'aria-labelledby': headingId, tabindex: -1 },
    h('h4', { id: headingId }, `Content of ${view.kind} notification to ${view.recipient}`),
    h('p', { class: 'hint' }, 'This view is recorded in the audit trail.'),
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
