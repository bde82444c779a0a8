export { testEndpoints, type TestEndpoints } from './endpoints.ts';
export {
  isolatedTopicNamespace,
  isolatedRedisPrefix,
  isolatedPostgresSchema,
  takeTopicNamespaces,
  uniqueId,
} from './isolation.ts';
export { captureLogs, type CapturedLogs } from './capture-logs.ts';
export { policeCaller, sampleIncident } from './fixtures.ts';
export { startTcpProxy, parseHostPort, type TcpProxy } from './tcp-proxy.ts';
export { startOtlpReceiver, type AttributeValue, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';
