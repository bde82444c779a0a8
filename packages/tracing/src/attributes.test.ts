import { describe, expect, it } from 'vitest';
import { checkedAttributes, SPAN_ATTRIBUTE_KEYS, SpanAttributeError, type SpanAttributes } from './attributes.ts';

describe('span attributes', () => {
  it('takes allow-listed keys with values from the contracts or of a fixed shape', () => {
    expect(
      checkedAttributes({
        'http.request.method': 'POST',
        'http.route': '/v1/inboxes/{recipient}/notifications',
        'http.response.status_code': 202,
        'messaging.destination.name': 'notifications.issued.v1',
        'messaging.consumer.group.name': 'inbox-store',
        'messaging.destination.partition.id': '3',
        'messaging.kafka.offset': 42,
        'error.type': 'handler-failed',
      }),
    ).toMatchObject({ 'http.route': '/v1/inboxes/{recipient}/notifications', 'messaging.kafka.offset': 42 });
  });

  it('refuses any other key, naming it', () => {
    const attributes = { 'messaging.kafka.message.key': '9991001018' } as unknown as SpanAttributes;
    expect(() => checkedAttributes(attributes)).toThrow(SpanAttributeError);
    expect(() => checkedAttributes(attributes)).toThrow(/messaging\.kafka\.message\.key is not on the allow-list/);
  });

  it('refuses a value outside its allow-list without repeating it: a URL, an NHS number, a name, free text', () => {
    const refused: SpanAttributes[] = [
      { 'http.route': '/v1/inboxes/gp:L85901/notifications' },
      { 'http.route': '/v1/child-protection-flags?nhsNumber=9991001042' },
      { 'messaging.destination.name': '9991001018' },
      { 'messaging.consumer.group.name': 'Jane Whitlock' },
      { 'messaging.destination.partition.id': 'TA1 1AA' },
      { 'messaging.kafka.offset': '12' },
      { 'http.response.status_code': 9991001018 },
      { 'error.type': 'NHS number 999 100 1018 not found' },
    ];
    for (const attributes of refused) {
      const attempt = () => checkedAttributes(attributes);
      expect(attempt).toThrow(SpanAttributeError);
      try {
        attempt();
      } catch (error) {
        const value = String(Object.values(attributes)[0]);
        expect((error as Error).message).not.toContain(value);
      }
    }
  });

  it('names only OpenTelemetry semantic-convention keys', () => {
    for (const key of SPAN_ATTRIBUTE_KEYS) expect(key).toMatch(/^(http|messaging|error)\.[a-z_.]+$/);
  });
});
