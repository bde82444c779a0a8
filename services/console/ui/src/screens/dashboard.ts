import type { SafeguardingDashboard } from '@hub/contracts';
import { dashboard } from '../api.ts';
import { barChart, type DrawnFigure } from '../charts.ts';
import { CONTRACT } from '../contract.ts';
import { field, h, replace } from '../dom.ts';
import { errorMessage } from '../errors.ts';
import type { Screen } from './screen.ts';

/**
 * The safeguarding dashboard (the London ICB's plan), per day in England: incidents and plans, notifications by
 * recipient kind, decisions by rule and outcome, exceptions open and unread notifications, and the time from issue
 * to fetch and to acknowledgement (median and 95th percentile). Counts only, in the officer's scope.
 */
const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 14;

export const renderDashboard: Screen = async (main, context) => {
  const today = londonDate(new Date());
  const from = h('input', { type: 'date', name: 'from', required: true, value: addDays(today, 1 - DEFAULT_DAYS) });
  const to = h('input', { type: 'date', name: 'to', required: true, value: today });
  const body = h('div', {});
  const form = h(
    'form',
    { novalidate: true, 'aria-label': 'Dashboard period', class: 'inline-form' },
    field('From', from),
    field('To', to, `At most ${CONTRACT.dashboardDays} days.`),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')),
  );
  replace(main, h('h1', { tabindex: -1 }, 'Safeguarding dashboard'), form, body);

  async function load(): Promise<void> {
    replace(body, h('p', { role: 'status' }, 'Loading…'));
    let data: SafeguardingDashboard;
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

function draw(body: HTMLElement, data: SafeguardingDashboard): void {
  const days = data.days.map((day) => day.day);
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const incidents = data.days.map((day) => day.incidents);
  const plans = data.days.map((day) => day.plans);
  const byKind = CONTRACT.recipientKinds.map((kind) => ({
    label: kind,
    values: data.days.map((day) => day.notifications[kind]),
  }));
  const rules = decisionsByRule(data);
  const last = data.days.at(-1);
  const minutes = (seconds: number | null) => (seconds === null ? null : seconds / 60);
  const figures: DrawnFigure[] = [
    barChart({
      id: 'chart-intake',
      title: 'Incidents and child protection plans per day',
      summary: `Bar chart: ${sum(incidents)} incident versions and ${sum(plans)} plan versions from ${data.from} to ${data.to}.`,
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
      summary: `Stacked bar chart: ${byKind.map((series) => `${sum(series.values)} to ${series.label}`).join(', ')}.`,
      categoryHeading: 'Day',
      categories: days,
      series: byKind,
      stacked: true,
    }),
    barChart({
      id: 'chart-rules',
      title: 'Decisions by rule: shares, withholds and exceptions',
      summary:
        rules.length === 0
          ? 'No decisions in this period.'
          : `Bar chart by rule: ${rules.map((rule) => `${rule.rule} ${rule.share} shared, ${rule.withhold} withheld, ${rule.exception} exceptions`).join('; ')}.`,
      categoryHeading: 'Rule',
      categories: rules.map((rule) => rule.rule),
      series: [
        { label: 'Shared', values: rules.map((rule) => rule.share) },
        { label: 'Withheld', values: rules.map((rule) => rule.withhold) },
        { label: 'Exception', values: rules.map((rule) => rule.exception) },
      ],
      stacked: true,
      horizontal: true,
    }),
    barChart({
      id: 'chart-open',
      title: 'Exceptions open and notifications unread at the end of each day',
      summary: `Bar chart: at the end of ${last?.day ?? 'the period'}, ${last?.exceptionsOpen ?? 0} exceptions open and ${last?.unread ?? 0} notifications unread.`,
      categoryHeading: 'Day',
      categories: days,
      series: [
        { label: 'Exceptions open', values: data.days.map((day) => day.exceptionsOpen) },
        { label: 'Unread', values: data.days.map((day) => day.unread) },
      ],
    }),
    barChart({
      id: 'chart-delays',
      title: 'Minutes from issue to fetch and to acknowledgement',
      summary:
        'Bar chart per day of the median and 95th percentile minutes from issue to fetch and to acknowledgement.',
      categoryHeading: 'Day',
      categories: days,
      valueTitle: 'minutes',
      format: (minutes) => (minutes < 1 ? `${Math.round(minutes * 60)} s` : `${minutes.toFixed(1)} min`),
      series: [
        { label: 'Fetch, median', values: data.days.map((day) => minutes(day.issueToFetch.p50Seconds)) },
        { label: 'Fetch, 95th percentile', values: data.days.map((day) => minutes(day.issueToFetch.p95Seconds)) },
        {
          label: 'Acknowledgement, median',
          values: data.days.map((day) => minutes(day.issueToAcknowledgement.p50Seconds)),
        },
        {
          label: 'Acknowledgement, 95th percentile',
          values: data.days.map((day) => minutes(day.issueToAcknowledgement.p95Seconds)),
        },
      ],
    }),
  ];
  replace(
    body,
    h(
      'section',
      { 'aria-labelledby': 'totals-heading' },
      h('h2', { id: 'totals-heading' }, `From ${data.from} to ${data.to}`),
      h(
        'dl',
        { class: 'stats' },
        stat('Incident versions', sum(incidents), 'stat-incidents'),
        stat('Plan versions', sum(plans), 'stat-plans'),
        stat('Notifications', sum(byKind.map((series) => sum(series.values))), 'stat-notifications'),
        stat(`Exceptions open (end of ${last?.day ?? '—'})`, last?.exceptionsOpen ?? 0, 'stat-exceptions'),
        stat(`Unread (end of ${last?.day ?? '—'})`, last?.unread ?? 0, 'stat-unread'),
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      figures.map((figure) => figure.figure),
    ),
    h(
      'p',
      { class: 'hint' },
      `Days in ${data.timeZone}. Generated at ${new Date(data.generatedAt).toLocaleString('en-GB')}.`,
    ),
  );
  for (const figure of figures) figure.draw();
}

/** The period's decisions per rule, in the order rules first appear. */
function decisionsByRule(data: SafeguardingDashboard) {
  const rules = new Map<string, { rule: string; share: number; withhold: number; exception: number }>();
  for (const day of data.days) {
    for (const decision of day.decisions) {
      const total = rules.get(decision.rule) ?? { rule: decision.rule, share: 0, withhold: 0, exception: 0 };
      total.share += decision.share;
      total.withhold += decision.withhold;
      total.exception += decision.exception;
      rules.set(decision.rule, total);
    }
  }
  return [...rules.values()];
}

function stat(label: string, value: number, id: string) {
  return h('div', { class: 'stat', id }, h('dt', {}, label), h('dd', {}, value.toLocaleString('en-GB')));
}

/** Today's date in England (the dashboard's days are Europe/London days). */
function londonDate(date: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(date);
}

function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
