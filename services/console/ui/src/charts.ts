import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { h, scrollTable, table, type Child } from './dom.ts';

/**
 * Charts with Chart.js (README: why), registered piece by piece so the bundle holds only bar charts. Every chart is a
 * <figure>: its caption, the canvas (an image to assistive technology, with a one-line summary) and the same numbers
 * as a table under "Show the data", so nothing is only in the picture. No animation: a chart is read, not watched.
 */
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.font.size = 14;
Chart.defaults.color = '#212b32';

/** Okabe and Ito's palette, told apart by people with colour-vision deficiencies. */
export const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#f0e442',
  '#000000',
] as const;

export interface Series {
  readonly label: string;
  /** One per category; null where there is nothing to measure (a gap, "—" in the table). */
  readonly values: readonly (number | null)[];
}

export interface BarChart {
  readonly id: string;
  readonly title: string;
  /** One sentence for assistive technology: what the chart shows, and the headline numbers. */
  readonly summary: string;
  readonly categoryHeading: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  readonly stacked?: boolean;
  readonly horizontal?: boolean;
  /** The value axis's title, e.g. "minutes"; counts need none. */
  readonly valueTitle?: string;
  /** How a value reads in the table (default: a count). */
  readonly format?: (value: number) => string;
}

export interface DrawnFigure {
  readonly figure: HTMLElement;
  /** Draws the chart once the figure is in the document (Chart.js sizes to its container). */
  draw(): void;
}

function axisTitle(text: string | undefined) {
  return text === undefined ? {} : { title: { display: true, text } };
}

export function barChart(spec: BarChart): DrawnFigure {
  const format = (value: number | null) =>
    value === null ? '—' : (spec.format ?? ((count: number) => count.toLocaleString('en-GB')))(value);
  const canvas = h('canvas', { role: 'img', 'aria-label': spec.summary, id: `${spec.id}-canvas` });
  const rows: Child[][] = spec.categories.map((category, index) => [
    category,
    ...spec.series.map((series) => format(series.values[index] ?? null)),
  ]);
  const figure = h(
    'figure',
    { class: 'chart', id: spec.id, 'aria-labelledby': `${spec.id}-caption` },
    h('figcaption', { id: `${spec.id}-caption` }, spec.title),
    h('div', { class: 'chart-canvas' }, canvas),
    h(
      'details',
      { class: 'chart-data' },
      h('summary', {}, 'Show the data', h('span', { class: 'visually-hidden' }, `: ${spec.title}`)),
      scrollTable(
        spec.title,
        table(spec.title, [spec.categoryHeading, ...spec.series.map((series) => series.label)], rows),
      ),
    ),
  );
  const config: ChartConfiguration<'bar', (number | null)[], string> = {
    type: 'bar',
    data: {
      labels: [...spec.categories],
      datasets: spec.series.map((series, index) => ({
        label: series.label,
        data: [...series.values],
        backgroundColor: PALETTE[index % PALETTE.length] ?? '#000000',
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: spec.horizontal === true ? 'y' : 'x',
      scales: {
        x: {
          stacked: spec.stacked === true,
          ticks: { precision: 0 },
          ...axisTitle(spec.horizontal ? spec.valueTitle : undefined),
        },
        y: {
          stacked: spec.stacked === true,
          ticks: { precision: 0 },
          beginAtZero: true,
          ...axisTitle(spec.horizontal ? undefined : spec.valueTitle),
        },
      },
      plugins: { legend: { position: 'bottom' } },
    },
  };
  return {
    figure,
    draw() {
      new Chart(canvas, config);
    },
  };
}
