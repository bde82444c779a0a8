import type { Dashboard } from '../api-types.ts';
import { dashboard } from '../api.ts';
import { barChart, type DrawnFigure } from '../charts.ts';
import { field, h, replace } from '../dom.ts';
import { errorMessage } from '../errors.ts';
import { VOCABULARY } from '../vocabulary.ts';
import type { Screen } from './screen.ts';

/**
 * The safeguarding dashboard (the London ICB's plan): per day incidents, plans and notifications by recipient kind;
 * shares and withholds by rule; exceptions open, unread notifications, and the time from issue to fetch and to
 * acknowledgement (median and 95th percentile). Counts only, for the officer's area.
 */
const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 14;

export const renderDashboard: Screen = async (main, context) => {
  const today = new Date();
  const from = h('input', {
    type: 'date',
    name: 'from',
    value: isoDate(new Date(today.getTime() - (DEFAULT_DAYS - 1) * DAY_MS)),
  });
  const to = h('input', { type: 'date', name: 'to', value: isoDate(today) });
  const body = h('div', {});
  const form = h(
    'form',
    { novalidate: true, 'aria-label': 'Dashboard period', class: 'inline-form' },
    field('From', from),
    field('To', to),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')),
  );
  replace(main, h('h1', { tabindex: -1 }, 'Safeguarding dashboard'), form, body);

  async function load(): Promise<void> {
    replace(body, h('p', { role: 'status' }, 'Loading…'));
    let data: Dashboard;
    try {
      data = await dashboard({ from: from.value, to: to.value });
    } catch (error) {
      if (context.isCurrent()) replace(body, errorMessage(error));
      return;
    }
    if (!context.isCurrent()) return;
    draw(body, data);
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  await load();
};

function draw(body: HTMLElement, data: Dashboard): void {
  const days = data.days.map((day) => day.date);
  const total = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0);
  const incidents = data.days.map((day) => day.incidents);
  const plans = data.days.map((day) => day.plans);
  const kinds = VOCABULARY.recipientKinds;
  const byKind = kinds.map((kind) => ({ label: kind, values: data.days.map((day) => day.notifications[kind] ?? 0) }));
  const figures: DrawnFigure[] = [
    barChart({
      id: 'chart-intake',
      title: 'Incidents and child protection plans per day',
      summary: `Bar chart: ${total(incidents)} incidents and ${total(plans)} plans from ${data.from} to ${data.to}.`,
      categoryHeading: 'Day',
      categories: days,
      series: [
        { label: 'Incidents', values: incidents },
        { label: 'Plans', values: plans },
      ],
    }),
    barChart({
      id: 'chart-notifications',
      title: 'Notifications per day by recipient kind',
      summary: `Stacked bar chart: ${byKind.map((series) => `${total(series.values)} to ${series.label}`).join(', ')}.`,
      categoryHeading: 'Day',
      categories: days,
      series: byKind,
      stacked: true,
    }),
    barChart({
      id: 'chart-rules',
      title: 'Shares and withholds by rule',
      summary: `Bar chart by rule: ${data.rules.map((rule) => `${rule.rule} ${rule.shares} shared, ${rule.withholds} withheld`).join('; ')}.`,
      categoryHeading: 'Rule',
      categories: data.rules.map((rule) => rule.rule),
      series: [
        { label: 'Shares', values: data.rules.map((rule) => rule.shares) },
        { label: 'Withholds', values: data.rules.map((rule) => rule.withholds) },
      ],
      horizontal: true,
    }),
  ];
  replace(
    body,
    h(
      'section',
      { 'aria-labelledby': 'now-heading' },
      h('h2', { id: 'now-heading' }, `From ${data.from} to ${data.to}`),
      h(
        'dl',
        { class: 'stats' },
        stat('Exceptions open', String(data.exceptionsOpen), 'stat-exceptions'),
        stat('Unread notifications', String(data.unread), 'stat-unread'),
        stat('Issue to fetch', percentiles(data.timeToFetch), 'stat-fetch'),
        stat('Issue to acknowledgement', percentiles(data.timeToAcknowledge), 'stat-ack'),
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      figures.map((figure) => figure.figure),
    ),
  );
  for (const figure of figures) figure.draw();
}

function stat(label: string, value: string, id: string) {
  return h('div', { class: 'stat', id }, h('dt', {}, label), h('dd', {}, value));
}

function percentiles(times: { readonly p50: number | null; readonly p95: number | null }): string {
  if (times.p50 === null || times.p95 === null) return 'none yet';
  return `median ${duration(times.p50)}, 95th percentile ${duration(times.p95)}`;
}

/** Seconds as a person reads a delay: "45 s", "12 min", "3.5 h". */
function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
