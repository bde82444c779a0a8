import type { AuditEvent } from '@hub/contracts';
import { searchEvents, type SearchPage } from '../api.ts';
import { actionLabel, CONTRACT } from '../contract.ts';
import { field, h, replace, scrollTable, table, time, type Child } from '../dom.ts';
import { errorMessage } from '../errors.ts';
import type { Screen } from './screen.ts';

/**
 * Search the audit trail with every filter of the search API, combined; paged, newest or oldest first. Results show
 * what happened and to which record, never content: content is opened from a timeline, with a reason.
 */
interface Filter {
  readonly name: string;
  readonly label: string;
  readonly hint?: string;
  readonly control: () => HTMLInputElement | HTMLSelectElement;
}

const text =
  (name: string, attributes: Record<string, string | number> = {}) =>
  () =>
    h('input', { name, autocomplete: 'off', spellcheck: 'false', maxlength: 80, ...attributes });
const select =
  (name: string, values: readonly string[], label: (value: string) => string = (value) => value) =>
  () =>
    h(
      'select',
      { name },
      h('option', { value: '' }, 'Any'),
      values.map((value) => h('option', { value }, label(value))),
    );

const GROUPS: readonly { readonly legend: string; readonly filters: readonly Filter[] }[] = [
  {
    legend: 'Person and record',
    filters: [
      {
        name: 'nhsNumber',
        label: 'NHS number',
        hint: '10 digits',
        control: text('nhsNumber', { inputmode: 'numeric', maxlength: 10 }),
      },
      {
        name: 'incidentRef',
        label: 'Incident or plan reference',
        hint: 'For example ASP:INC-2026-001',
        control: text('incidentRef'),
      },
      {
        name: 'receiptId',
        label: 'Receipt or plan version id',
        hint: 'rcpt_…, cpv_…, cpr_…, lkp_… or fgv_…',
        control: text('receiptId', { maxlength: 40 }),
      },
      {
        name: 'recipient',
        label: 'Recipient',
        hint: 'For example gp:L85901 or marac:E06000066',
        control: text('recipient'),
      },
    ],
  },
  {
    legend: 'Who acted',
    filters: [
      { name: 'actorClientId', label: 'Actor client id', control: text('actorClientId', { maxlength: 100 }) },
      {
        name: 'actorOrganisation',
        label: 'Actor organisation',
        hint: 'ODS or ONS code, or force code',
        control: text('actorOrganisation', { maxlength: 12 }),
      },
    ],
  },
  {
    legend: 'What happened',
    filters: [
      { name: 'action', label: 'Action', control: select('action', CONTRACT.actions, actionLabel) },
      { name: 'rule', label: 'Decision rule', control: select('rule', CONTRACT.rules) },
      { name: 'outcome', label: 'Outcome', control: select('outcome', CONTRACT.outcomes) },
    ],
  },
  {
    legend: 'When',
    filters: [
      {
        name: 'from',
        label: 'From',
        hint: 'UK time',
        control: () => h('input', { name: 'from', type: 'datetime-local', step: 1 }),
      },
      {
        name: 'to',
        label: 'To',
        hint: 'UK time',
        control: () => h('input', { name: 'to', type: 'datetime-local', step: 1 }),
      },
    ],
  },
];

const PAGE_SIZES = ['20', '50', '100', '200'] as const;

/** Kept while the console is open, so returning from a timeline shows the same search. Never in the address. */
let lastQuery: Record<string, string> | null = null;

export const renderSearch: Screen = async (main, context) => {
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const fieldsets = GROUPS.map((group) =>
    h(
      'fieldset',
      {},
      h('legend', {}, group.legend),
      h(
        'div',
        { class: 'field-grid' },
        group.filters.map((filter) => {
          const control = filter.control();
          controls.set(filter.name, control);
          return field(filter.label, control, filter.hint);
        }),
      ),
    ),
  );
  const order = h(
    'select',
    { name: 'order' },
    h('option', { value: 'newest' }, 'Newest first'),
    h('option', { value: 'oldest' }, 'Oldest first'),
  );
  const limit = h(
    'select',
    { name: 'limit' },
    PAGE_SIZES.map((size) => h('option', { value: size, selected: size === '50' }, size)),
  );
  const results = h('section', { 'aria-labelledby': 'results-heading', class: 'results' });
  const form = h(
    'form',
    { role: 'search', 'aria-label': 'Audit trail', novalidate: true },
    fieldsets,
    h(
      'fieldset',
      {},
      h('legend', {}, 'Results'),
      h('div', { class: 'field-grid' }, field('Order', order), field('Per page', limit)),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Search'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear filters'),
    ),
  );
  replace(
    main,
    h('h1', { tabindex: -1 }, 'Search the audit trail'),
    h(
      'p',
      {},
      'Every filter you fill in must match. Your searches are recorded in the audit trail. Results never show content.',
    ),
    form,
    results,
  );

  function query(): Record<string, string> {
    const values: Record<string, string> = { order: order.value, limit: limit.value };
    for (const [name, control] of controls) {
      const value = control.value.trim();
      if (value === '') continue;
      values[name] =
        control instanceof HTMLInputElement && control.type === 'datetime-local'
          ? new Date(value).toISOString()
          : value;
    }
    return values;
  }

  /** The cursor of each page visited, this one last (undefined: the first page), to go back. */
  let pages: (string | undefined)[] = [undefined];

  async function run(base: Record<string, string>): Promise<void> {
    replace(results, h('h2', { id: 'results-heading' }, 'Results'), h('p', { role: 'status' }, 'Searching…'));
    let page: SearchPage;
    try {
      page = await searchEvents({ ...base, cursor: pages.at(-1) });
    } catch (error) {
      if (!context.isCurrent()) return;
      const message = errorMessage(error);
      replace(results, h('h2', { id: 'results-heading' }, 'Results'), message);
      message?.focus();
      return;
    }
    if (!context.isCurrent()) return;
    const { nextCursor } = page;
    drawResults(results, page, {
      previous:
        pages.length === 1
          ? null
          : () => {
              pages = pages.slice(0, -1);
              void run(base);
            },
      next:
        nextCursor === null
          ? null
          : () => {
              pages = [...pages, nextCursor];
              void run(base);
            },
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    lastQuery = query();
    pages = [undefined];
    void run(lastQuery);
  });
  form.addEventListener('reset', () => {
    lastQuery = null;
    results.replaceChildren();
  });

  if (lastQuery !== null) {
    for (const [name, value] of Object.entries(lastQuery)) {
      const control = controls.get(name) ?? (name === 'order' ? order : name === 'limit' ? limit : undefined);
      if (control !== undefined)
        control.value =
          control instanceof HTMLInputElement && control.type === 'datetime-local' ? toLocalInput(value) : value;
    }
    await run(lastQuery);
  }
};

function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function drawResults(
  results: HTMLElement,
  page: SearchPage,
  paging: { previous: (() => void) | null; next: (() => void) | null },
): void {
  const count = page.items.length;
  const status = h(
    'p',
    { role: 'status' },
    count === 0 ? 'No events match.' : `${count} event${count === 1 ? '' : 's'} on this page.`,
  );
  replace(
    results,
    h('h2', { id: 'results-heading' }, 'Results'),
    status,
    count === 0 ? null : scrollTable('Search results', eventsTable(page.items)),
    h(
      'div',
      { class: 'actions' },
      paging.previous === null
        ? null
        : h('button', { type: 'button', class: 'secondary', onclick: paging.previous }, 'Previous page'),
      paging.next === null
        ? null
        : h('button', { type: 'button', class: 'secondary', onclick: paging.next }, 'Next page'),
    ),
  );
}

function eventsTable(items: readonly AuditEvent[]): HTMLTableElement {
  return table(
    'Audit events (no content)',
    ['Time', 'Action', 'Record', 'NHS number', 'Recipient', 'Actor', 'Decision', 'Reason'],
    items.map((event) => [
      time(event.at),
      actionLabel(event.action),
      recordCell(event),
      event.nhsNumber ?? '—',
      event.recipient ?? '—',
      event.actor === null ? `hub (${event.service})` : `${event.actor.clientId} (${event.actor.organisation})`,
      event.decision === null
        ? '—'
        : `${event.decision.rule}: ${event.decision.outcome} (${event.decision.policyVersion})`,
      event.reason ?? '—',
    ]),
  );
}

function recordCell(event: AuditEvent): Child {
  const links: Child[] = [];
  if (event.receiptId !== null)
    links.push(h('a', { href: `#/timeline?receiptId=${encodeURIComponent(event.receiptId)}` }, event.receiptId));
  if (event.incidentRef !== null) {
    links.push(
      h(
        'a',
        { href: `#/timeline?incidentRef=${encodeURIComponent(event.incidentRef)}`, class: 'block' },
        event.incidentRef,
      ),
    );
  }
  return links.length === 0 ? '—' : links;
}
