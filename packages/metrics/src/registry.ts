import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, type MetricName, type MetricSpec } from './definitions.ts';
import { checkedLabels, type LabelTypes } from './labels.ts';

/** A metric's labels, typed from its declaration. */
export type LabelsOf<S extends MetricSpec> = { readonly [K in S['labels'][number]]: LabelTypes[K] };

export interface CounterHandle<S extends MetricSpec> {
  inc(labels: LabelsOf<S>, by?: number): void;
}
export interface GaugeHandle<S extends MetricSpec> {
  set(labels: LabelsOf<S>, value: number): void;
  /** Drops one series (e.g. a build that ended here). */
  remove(labels: LabelsOf<S>): void;
}
export interface HistogramHandle<S extends MetricSpec> {
  observe(labels: LabelsOf<S>, value: number): void;
}

type HandleOf<S extends MetricSpec> = S['kind'] extends 'counter'
  ? CounterHandle<S>
  : S['kind'] extends 'gauge'
    ? GaugeHandle<S>
    : HistogramHandle<S>;

export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

/** One process's metrics: a handle per declared metric, and the text a scrape answers. */
export type HubMetrics = { readonly [K in MetricName]: HandleOf<(typeof METRICS)[K]> } & {
  /**
   * Run before each scrape, in order (gauges read from in-memory state, e.g. each view's state, or read from a store:
   * an async collector is awaited, so it must bound its own time).
   */
  beforeScrape(collect: () => void | Promise<void>): void;
  /** The Prometheus text exposition of every series. */
  exposition(): Promise<Exposition>;
};

type Labels = Readonly<Partial<Record<keyof LabelTypes, string | number>>>;

function handleOf(registry: Registry, spec: MetricSpec): unknown {
  const labelNames = [...spec.labels];
  const common = { name: spec.name, help: spec.help, labelNames, registers: [registry] };
  const labels = (given: Labels) => checkedLabels(spec.name, spec.labels, given);
  switch (spec.kind) {
    case 'counter': {
      const counter = new Counter(common);
      return {
        inc: (given: Labels, by = 1) => {
          counter.inc(labels(given), by);
        },
      };
    }
    case 'gauge': {
      const gauge = new Gauge(common);
      return {
        set: (given: Labels, value: number) => {
          gauge.set(labels(given), value);
        },
        remove: (given: Labels) => {
          gauge.remove(labels(given));
        },
      };
    }
    case 'histogram': {
      const histogram = new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] });
      return {
        observe: (given: Labels, value: number) => {
          histogram.observe(labels(given), value);
        },
      };
    }
  }
}

/**
 * A registry of its own (never prom-client's global one, so two runtimes in one test process never share series)
 * with every declared metric, plus Node's process metrics (CPU, memory, event loop delay, GC: fixed labels only).
 */
export function createMetrics(): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const collectors: (() => void | Promise<void>)[] = [];
  const handles = Object.fromEntries(Object.entries(METRICS).map(([key, spec]) => [key, handleOf(registry, spec)])) as {
    readonly [K in MetricName]: HandleOf<(typeof METRICS)[K]>;
  };
  return {
    ...handles,
    beforeScrape: (collect) => {
      collectors.push(collect);
    },
    async exposition() {
      for (const collect of collectors) await collect();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
