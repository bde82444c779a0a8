import { pointerToken, sortedKeys, type JsonObject } from './json.ts';
import { HUB_VIEWS } from './state.ts';
import { HUB_SERVICES, type Step } from './steps.ts';
import { deadLetterTopicName, type TopicSpec } from './topic.ts';

/**
 * The AsyncAPI operations: who sends and who receives on each channel, from the steps of `steps.ts`. Each step's
 * input is a `receive` operation `<step>.receive.<topic>` (and, since `@hub/kafka` dead-letters what the step
 * cannot process, a `send` on the `.dlq` twin), each output a `send` operation `<step>.send.<topic>`. Refuses a
 * step whose topic is not in `topics`, a topic no step sends, an HTTP operation that is not a route, and a consumer
 * group or transactional id used by two steps.
 */

/** The Kafka bindings version of every binding in the document. */
export const KAFKA_BINDING_VERSION = '0.5.0';

export interface OperationsDocument {
  readonly operations: JsonObject;
  /** `components.tags`: one per service that has a step. */
  readonly tags: JsonObject;
}

function channelRef(topic: string): JsonObject {
  return { $ref: `#/channels/${pointerToken(topic)}` };
}

function messageRef(topic: string): JsonObject {
  return { $ref: `#/channels/${pointerToken(topic)}/messages/${pointerToken(topic)}` };
}

function stepExtensions(name: string, step: Step): JsonObject {
  const extensions: JsonObject = { 'x-service': step.service, 'x-step': name, 'x-step-kind': step.kind };
  if (step.kind === 'stage' || step.kind === 'projector') extensions['x-consumer-group'] = step.groupId;
  if (step.kind === 'stage' || step.kind === 'request') extensions['x-transactional-id'] = step.transactionalId;
  if ((step.kind === 'stage' || step.kind === 'projector') && step.view !== undefined) {
    extensions['x-view'] = step.view;
  }
  if (step.kind === 'request') extensions['x-http-operations'] = [...step.operations];
  return extensions;
}

function howItSends(step: Step): string {
  switch (step.kind) {
    case 'stage':
      return `Written with its input's offset commit in one transaction (transactional id \`${step.transactionalId}\`).`;
    case 'request':
      return step.transactionalId === null
        ? `Written per HTTP request (${step.operations.join(', ')}), each record published alone.`
        : `Written per HTTP request (${step.operations.join(', ')}) in one transaction (transactional id ` +
            `\`${step.transactionalId}\`).`;
    case 'event':
      return 'Published alone, outside any request or input.';
    case 'projector':
      return '';
  }
}

function groupBinding(groupId: string): JsonObject {
  return { kafka: { groupId: { type: 'string', enum: [groupId] }, bindingVersion: KAFKA_BINDING_VERSION } };
}

function claim(seen: Map<string, string>, what: string, id: string, step: string): void {
  const other = seen.get(id);
  if (other !== undefined) throw new Error(`steps ${other} and ${step} both use the ${what} ${id}`);
  seen.set(id, step);
}

export function buildOperations(
  steps: Readonly<Record<string, Step>>,
  topics: readonly TopicSpec[],
  httpOperationIds: ReadonlySet<string>,
): OperationsDocument {
  const known = new Set(topics.map((topic) => topic.name));
  const operations: JsonObject = {};
  const tags: JsonObject = {};
  const written = new Set<string>();
  const groups = new Map<string, string>();
  const transactionalIds = new Map<string, string>();

  const add = (operationName: string, operation: JsonObject): void => {
    if (operations[operationName] !== undefined) throw new Error(`operation ${operationName} is declared twice`);
    operations[operationName] = operation;
  };

  for (const [name, step] of Object.entries(steps)) {
    const where = `step ${name} (${step.service})`;
    const checkTopic = (topic: TopicSpec, verb: string): string => {
      if (!known.has(topic.name)) throw new Error(`${where} ${verb} ${topic.name}, which is not in topics`);
      return topic.name;
    };
    tags[step.service] = { name: step.service, description: HUB_SERVICES[step.service] };
    const common = {
      tags: [{ $ref: `#/components/tags/${pointerToken(step.service)}` }],
      ...stepExtensions(name, step),
    };
    if (step.kind === 'stage' || step.kind === 'projector') claim(groups, 'consumer group', step.groupId, name);
    if ((step.kind === 'stage' || step.kind === 'request') && step.transactionalId !== null) {
      claim(transactionalIds, 'transactional id', step.transactionalId, name);
    }
    if (step.kind === 'request') {
      const unknown = step.operations.filter((id) => !httpOperationIds.has(id));
      if (unknown.length > 0) throw new Error(`${where} serves ${unknown.join(', ')}, which no route declares`);
    }

    if (step.kind === 'stage' || step.kind === 'projector') {
      const topic = checkTopic(step.input, 'reads');
      const dlq = deadLetterTopicName(topic);
      const view = step.view === undefined ? '' : ` Keeps the ${step.view} view: ${HUB_VIEWS[step.view].description}`;
      add(`${name}.receive.${topic}`, {
        action: 'receive',
        channel: channelRef(topic),
        messages: [messageRef(topic)],
        title: `${name} reads ${topic}`,
        summary: step.description,
        description:
          `${HUB_SERVICES[step.service]}${view}\n\nConsumer group \`${step.groupId}\`, read_committed.` +
          (step.kind === 'stage' ? '' : ' Applying a record twice changes nothing.'),
        bindings: groupBinding(step.groupId),
        ...common,
      });
      add(`${name}.send.${dlq}`, {
        action: 'send',
        channel: channelRef(dlq),
        messages: [messageRef(dlq)],
        title: `${name} dead-letters ${topic}`,
        summary: `A record of ${topic} that ${name} could not process, written by @hub/kafka with dlq-* headers.`,
        bindings: groupBinding(step.groupId),
        'x-dead-letters-of': topic,
        ...common,
      });
      written.add(dlq);
    }

    if (step.kind !== 'projector') {
      for (const output of step.outputs) {
        const topic = checkTopic(output, 'writes');
        add(`${name}.send.${topic}`, {
          action: 'send',
          channel: channelRef(topic),
          messages: [messageRef(topic)],
          title: `${name} writes ${topic}`,
          summary: step.description,
          description: `${HUB_SERVICES[step.service]}\n\n${howItSends(step)}`,
          ...common,
        });
        written.add(topic);
      }
    }
  }

  const unwritten = topics.filter((topic) => !written.has(topic.name)).map((topic) => topic.name);
  if (unwritten.length > 0) {
    throw new Error(`no step sends ${unwritten.join(', ')}: every topic needs a writer in steps.ts`);
  }
  return { operations: sortedKeys(operations), tags: sortedKeys(tags) };
}
