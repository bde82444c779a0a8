import { ALL_HTTP_ROUTES, ALL_STEPS, ALL_TOPICS, HUB_VIEW_NAMES, type HubViewName } from '@hub/contracts';

/**
 * Every label a metric may carry, and the only values it may take: a set declared in `@hub/contracts` (route
 * templates, consumer groups, topics, views) or a fixed shape (a status code, a partition number). Nothing a client
 * sends can pass: a raw URL, a path parameter, a header, a token or a body value is refused, so no personal data
 * reaches a series whatever the caller passes.
 */

/** The route label of a request that matched no route (its raw path may hold an NHS number: never used). */
export const UNMATCHED_ROUTE = 'unmatched';
/** The method label of a method the hub serves on no route. */
export const OTHER_METHOD = 'other';
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
/** A view's state as `@hub/runtime`'s view generations tell it. */
export const VIEW_STATES = ['ready', 'rebuilding', 'unchecked'] as const;
export type ViewStateLabel = (typeof VIEW_STATES)[number];
/** A notification's deadline state as the deadlines view counts it. */
export const NOTIFICATION_STATES = ['overdue', 'escalated', 'not-delivered'] as const;
export type NotificationStateLabel = (typeof NOTIFICATION_STATES)[number];

const consumerGroups = ALL_STEPS.flatMap((step) =>
  step.kind === 'stage' || step.kind === 'projector' ? [step.groupId] : [],
);

const oneOf = (values: readonly string[]) => {
  const allowed = new Set(values);
  return (value: string) => allowed.has(value);
};
const shape = (pattern: RegExp) => (value: string) => pattern.test(value);

/** How each label's values are checked. */
const ALLOWED = {
  /** A route template from `HTTP_ROUTES` (`/v1/inboxes/{recipient}/notifications`), never the URL. */
  route: oneOf([...ALL_HTTP_ROUTES.map((route) => route.path), UNMATCHED_ROUTE]),
  method: oneOf([...HTTP_METHODS, OTHER_METHOD]),
  /** An HTTP status code. */
  status: shape(/^[1-5][0-9]{2}$/),
  /** A stage's or projector's consumer group in `STEPS` (logical: no namespace). */
  group: oneOf(consumerGroups),
  /** A topic of the catalogue (logical: no namespace). */
  topic: oneOf(ALL_TOPICS.map((topic) => topic.name)),
  partition: shape(/^[0-9]{1,4}$/),
  view: oneOf(HUB_VIEW_NAMES),
  state: oneOf(VIEW_STATES),
  notification_state: oneOf(NOTIFICATION_STATES),
} as const satisfies Record<string, (value: string) => boolean>;

export type LabelName = keyof typeof ALLOWED;

/** What a caller passes for each label (checked at run time against ALLOWED as well). */
export interface LabelTypes {
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly view: HubViewName;
  readonly state: ViewStateLabel;
  readonly notification_state: NotificationStateLabel;
}

/** A label value outside its allow-list: a bug in the caller. The message never holds the value itself. */
export class MetricLabelError extends Error {
  override readonly name = 'MetricLabelError';
}

/** The labels as prom-client takes them, each value checked; throws MetricLabelError naming the metric and label. */
export function checkedLabels(
  metric: string,
  names: readonly LabelName[],
  labels: Readonly<Partial<Record<LabelName, string | number>>>,
): Record<string, string> {
  const given = Object.keys(labels);
  if (given.length !== names.length) {
    throw new MetricLabelError(`metric ${metric} takes exactly the labels ${names.join(', ')}`);
  }
  const checked: Record<string, string> = {};
  for (const name of names) {
    const value = labels[name];
    const text = typeof value === 'number' ? String(value) : value;
    if (text === undefined || !ALLOWED[name](text)) {
      throw new MetricLabelError(`metric ${metric}: label ${name} has a value outside its allow-list`);
    }
    checked[name] = text;
  }
  return checked;
}

/** A request method as a label: one the hub knows, or `other` (a method is client-chosen text). */
export function methodLabel(method: string): string {
  return (HTTP_METHODS as readonly string[]).includes(method) ? method : OTHER_METHOD;
}
