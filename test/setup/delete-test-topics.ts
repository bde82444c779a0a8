/*
 * Run before every integration test file (vitest `setupFiles`): once the file is done (its own afterAll hooks have
 * stopped its hubs and clients), the topics of every namespace it made with `isolatedTopicNamespace()` are deleted.
 * Each namespace is a whole catalogue (about 120 partitions with the dead-letter twins); left behind, a full run
 * piles up tens of thousands of partitions and the local broker runs out of file handles.
 */
import { createKafkaClient } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { takeTopicNamespaces, testEndpoints } from '@hub/testkit';
import { afterAll } from 'vitest';

afterAll(async () => {
  const logger = createLogger({ service: 'test-topics-clean-up', level: 'silent' });
  for (const topicNamespace of takeTopicNamespaces()) {
    const kafka = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'test-topics-clean-up',
      topicNamespace,
      logger,
    });
    // A broker already gone (a test that stopped it) leaves nothing to clean.
    await kafka.deleteNamespaceTopics().catch(() => undefined);
    await kafka.close();
  }
}, 120_000);
