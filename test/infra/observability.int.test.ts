import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensurePromtool } from '@hub/infra-local';
import { createMetrics, METRICS, type MetricSpec } from '@hub/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/*
 * infra/observability against the tools and the hub's own declarations (issue 12 item 6): promtool checks the rules
 * and runs their unit tests (Debian's promtool, fetched by @hub/infra-local when missing), and every metric, label
 * and label value the rules, their tests and the dashboard name is one the hub exports (packages/metrics), so a
 * renamed metric cannot leave an alert silently watching nothing.
 */

const DIR = fileURLToPath(new URL('../../infra/observability/', import.meta.url));
const run = promisify(execFile);

interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
interface RuleTest {
  readonly input_series: readonly { readonly series: string }[];
  readonly alert_rule_test?: readonly { readonly alertname: string; readonly exp_alerts: readonly unknown[] }[];
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly { readonly expr: string }[];
}

const rules = (parse(readFileSync(`${DIR}alerts.yml`, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);
const alerts = rules.filter((rule) => rule.alert !== undefined);
const records = new Set(rules.flatMap((rule) => (rule.record === undefined ? [] : [rule.record])));
const ruleTests = (parse(readFileSync(`${DIR}alerts.test.yml`, 'utf8')) as { tests: RuleTest[] }).tests;
const dashboard = JSON.parse(readFileSync(`${DIR}dashboard.json`, 'utf8')) as {
  panels: Panel[];
  templating: { list: { query?: string | { query: string } }[] };
};
const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
const readme = readFileSync(`${DIR}README.md`, 'utf8');

/** Every PromQL expression of the rules and the dashboard, and the series the rule tests feed in. */
const expressions = [
  ...rules.map((rule) => rule.expr),
  ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
  ...dashboard.templating.list.flatMap(({ query }) =>
    query === undefined ? [] : [typeof query === 'string' ? query : query.query],
  ),
];
const testSeries = ruleTests.flatMap((test) => test.input_series.map((input) => input.series));

/** The hub's metric names (and their histogram series), and Node's process metrics as a fresh registry exposes them. */
async function exportedNames(): Promise<Map<string, MetricSpec | undefined>> {
  const names = new Map<string, MetricSpec | undefined>();
  for (const spec of Object.values(METRICS) as MetricSpec[]) {
    names.set(spec.name, spec);
    if (spec.kind === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.set(spec.name + suffix, spec);
  }
  const { body } = await createMetrics().exposition();
  for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined || names.has(name)) continue;
    names.set(name, undefined);
    if (type === 'histogram' || type === 'summary')
      for (const s of ['_bucket', '_sum', '_count']) names.set(name + s, undefined);
  }
  return names;
}

/** Metric names in an expression: the hub's (`hub_`), Node's (`process_`, `nodejs_`) and recording rules (`hub:`). */
const metricNames = (expr: string) =>
  [...expr.matchAll(/\b(hub_[a-z0-9_]+|hub:[a-z0-9_:]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)/g)].map((m) => m[1]!);

/** `name{a="x", b=~"y"}` selectors: the metric and each matcher's label and value. */
function selectors(expr: string): { name: string; matchers: { label: string; op: string; value: string }[] }[] {
  return [...expr.matchAll(/\b(hub_[a-z0-9_]+)\s*\{([^}]*)\}/g)].map(([, name, body]) => ({
    name: name!,
    matchers: [...body!.matchAll(/([a-z_]+)\s*(=~|!=|!~|=)\s*"([^"]*)"/g)].map(([, label, op, value]) => ({
      label: label!,
      op: op!,
      value: value!,
    })),
  }));
}

/** Labels every series gets from the scrape or the histogram itself, not from the hub's declarations. */
const SCRAPE_LABELS = new Set(['instance', 'job']);

let promtool: string;
beforeAll(async () => {
  promtool = await ensurePromtool();
}, 180_000);

describe('infra/observability/alerts.yml', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', `${DIR}alerts.yml`]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('passes its unit tests (promtool test rules alerts.test.yml)', async () => {
    const { stdout, stderr } = await run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: DIR }).catch(
      (error: unknown) => {
        throw new Error(`promtool test rules failed:\n${String((error as { stdout?: string }).stdout)}`);
      },
    );
    expect(`${stdout}${stderr}`).toContain('SUCCESS');
  });

  it('has, for every alert, a test where it fires and one where it stays quiet', () => {
    const cases = ruleTests.flatMap((test) => test.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
        `${alert} fires`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
        `${alert} quiet`,
      ).toBe(true);
    }
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'HubStepStalled',
        'HubConsumerLagGrowing',
        'HubDeadLetterTopicNotEmpty',
        'HubNotificationsOverdue',
        'HubViewNotReady',
        'HubAuditCheckpointNotAdvancing',
      ]),
    );
  });

  it('gives every alert a severity, a summary, a description and a runbook section that exists', () => {
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy();
      expect(rule.annotations?.['description'], rule.alert).toBeTruthy();
      const anchor = rule.alert!.toLowerCase();
      expect(rule.annotations?.['runbook']).toBe(`infra/observability/README.md#${anchor}`);
      expect(readme, `README section for ${rule.alert}`).toMatch(new RegExp(`^#+ ${rule.alert}$`, 'm'));
    }
  });
});

describe('names in the rules, their tests and the dashboard', () => {
  it('are metrics the hub exports, or recording rules defined in alerts.yml', async () => {
    const exported = await exportedNames();
    const unknown = [...expressions, ...testSeries]
      .flatMap(metricNames)
      .filter((name) => !exported.has(name) && !records.has(name));
    expect([...new Set(unknown)]).toEqual([]);
    // The check saw real names.
    expect(expressions.flatMap(metricNames)).toContain('hub_kafka_consumer_lag');
  });

  it("select only labels the metric declares (beside the scrape's instance and job, and a histogram's le)", async () => {
    const exported = await exportedNames();
    for (const { name, matchers } of [...expressions, ...testSeries].flatMap(selectors)) {
      const spec = exported.get(name);
      const allowed = new Set<string>([
        ...(spec?.labels ?? []),
        ...SCRAPE_LABELS,
        ...(name.endsWith('_bucket') ? ['le'] : []),
      ]);
      for (const { label } of matchers) expect(allowed.has(label), `${name} has no label ${label}`).toBe(true);
    }
  });

  it("feed the rule tests only label values the hub's metrics accept (the allow-lists of packages/metrics)", () => {
    const metrics = createMetrics() as unknown as Record<
      string,
      Record<string, (labels: object, value: number) => void>
    >;
    const byName = new Map(
      (Object.entries(METRICS) as [string, MetricSpec][]).map(([key, spec]) => [spec.name, { key, spec }]),
    );
    let checked = 0;
    for (const { name, matchers } of testSeries.flatMap(selectors)) {
      const found = byName.get(name) ?? byName.get(name.replace(/_(bucket|sum|count)$/, ''));
      if (found === undefined) continue;
      const labels = Object.fromEntries(
        matchers.filter((m) => !SCRAPE_LABELS.has(m.label)).map((m) => [m.label, m.value]),
      );
      const handle = metrics[found.key]!;
      const write =
        found.spec.kind === 'counter' ? handle['inc'] : found.spec.kind === 'gauge' ? handle['set'] : handle['observe'];
      expect(() => write?.(labels, 0), `${name} ${JSON.stringify(labels)}`).not.toThrow();
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('infra/observability/dashboard.json', () => {
  it('shows every metric the hub declares', () => {
    const shown = new Set(
      panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr))),
    );
    const missing = (Object.values(METRICS) as MetricSpec[])
      .map((spec) => spec.name)
      .filter((name) => ![...shown].some((one) => one === name || one.startsWith(`${name}_`)));
    expect(missing).toEqual([]);
  });

  it('is a well-formed Grafana dashboard: unique ids, a Prometheus query per panel, panels that do not overlap', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    const overlaps = dashboard.panels.flatMap((a, i) =>
      dashboard.panels
        .slice(i + 1)
        .filter((b) => {
          const [p, q] = [a.gridPos, b.gridPos];
          return p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        })
        .map((b) => `${a.title} / ${b.title}`),
    );
    expect(overlaps).toEqual([]);
  });
});
