/**
 * Test-only: a produce request whose records the broker wrote, answered to kafkajs with an error, as when the
 * answer is lost with a killed broker or a request times out while the replicas catch up. kafkajs then rewinds the
 * partition's sequence number, though the records are in the log; what the hub does next decides whether anything is
 * lost (packages/kafka/README.md, "Why kafkajs, and its known issues").
 *
 * The fault is put in kafkajs's Broker.produce, in this process: the real request goes to the real broker and is
 * answered; only its answer is replaced by an error kafkajs does not retry itself.
 */
import { createRequire } from 'node:module';

interface ProduceRequest {
  readonly topicData: readonly { readonly topic: string }[];
}
type Produce = (this: unknown, request: ProduceRequest) => Promise<unknown>;
interface BrokerClass {
  prototype: { produce: Produce };
}

const Broker = createRequire(import.meta.url)('kafkajs/src/broker/index.js') as BrokerClass;

export interface LostAnswers {
  /** Resolves once the first request whose answer will be lost has gone to the broker (before it is answered). */
  readonly sent: Promise<void>;
  /** How many answers were lost so far. */
  lost(): number;
  /** Puts kafkajs's produce back as it was. */
  restore(): void;
}

/** Loses the answer of the next `count` produce requests that write to `physicalTopic`. */
export function loseProduceAnswers(physicalTopic: string, count = 1): LostAnswers {
  const produce = Broker.prototype.produce;
  let lost = 0;
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => {
    markSent = resolve;
  });
  Broker.prototype.produce = async function (this: unknown, request: ProduceRequest): Promise<unknown> {
    const matches = lost < count && request.topicData.some(({ topic }) => topic === physicalTopic);
    const answering = produce.call(this, request);
    if (!matches) return answering;
    markSent();
    await answering;
    lost++;
    // A KafkaJSProtocolError NETWORK_EXCEPTION, as kafkajs names it, marked as kafkajs marks one it gave up on.
    throw Object.assign(new Error('The server disconnected before a response was received'), {
      name: 'KafkaJSProtocolError',
      type: 'NETWORK_EXCEPTION',
      retriable: false,
    });
  };
  return {
    sent,
    lost: () => lost,
    restore() {
      Broker.prototype.produce = produce;
    },
  };
}
