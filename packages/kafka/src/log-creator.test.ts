import kafkajs from 'kafkajs';
import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { createLogCreator, effectiveLevel, kafkaLogLevel, safeLogFields } from './log-creator.ts';

const { logLevel } = kafkajs;

describe('kafkajs log creator', () => {
  it('writes kafkajs entries at the matching pino level, tagged with the kafkajs namespace', () => {
    const { logger, lines } = captureLogs();
    const log = createLogCreator(logger)(logLevel.INFO);
    const timestamp = new Date().toISOString();
    log({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp, message: 'Crash', groupId: 'g' },
    });
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp, message: 'slow' } });
    log({ namespace: 'Admin', level: logLevel.INFO, label: 'INFO', log: { timestamp, message: 'hi' } });
    log({ namespace: 'Admin', level: logLevel.DEBUG, label: 'DEBUG', log: { timestamp, message: 'detail' } });
    expect(lines().map((line) => [line['level'], line['msg'], line['kafkajs'], line['component']])).toEqual([
      ['error', 'Crash', 'Consumer', 'kafkajs'],
      ['warn', 'slow', 'Producer', 'kafkajs'],
      ['info', 'hi', 'Admin', 'kafkajs'],
      ['debug', 'detail', 'Admin', 'kafkajs'],
    ]);
    expect(lines()[0]?.['groupId']).toBe('g');
  });

  it('keeps only allow-listed fields, as short primitives: no payloads, keys, stacks or error messages', () => {
    const { logger, text } = captureLogs();
    const log = createLogCreator(logger)(logLevel.INFO);
    log({
      namespace: 'Runner',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '',
        message: 'Error when calling eachMessage',
        topic: 't',
        offset: '5',
        error: new Error('Alexandra Smithson 9434765919'),
        stack: 'Error: Alexandra Smithson',
        value: '{"nhsNumber":"9434765919"}',
        payload: { name: 'Smithson' },
      },
    });
    const output = text();
    expect(output).not.toContain('Smithson');
    expect(output).not.toContain('9434765919');
    expect(output).toContain('"error":"Error"');
  });

  it('maps pino levels to kafkajs levels', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map(kafkaLogLevel)).toEqual([
      logLevel.DEBUG,
      logLevel.DEBUG,
      logLevel.INFO,
      logLevel.WARN,
      logLevel.ERROR,
      logLevel.ERROR,
      logLevel.NOTHING,
    ]);
    expect(safeLogFields({ topics: ['a', 'b'], nested: { a: 1 }, broker: 'x'.repeat(1000) })).toEqual({
      topics: ['a', 'b'],
      broker: 'x'.repeat(300),
    });
  });
});

describe('routine, retried broker answers', () => {
  it('are logged at debug, not as errors; other errors stay errors', () => {
    const { ERROR, DEBUG } = kafkajs.logLevel;
    const concurrent = {
      error:
        'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
    };
    expect(effectiveLevel(ERROR, concurrent)).toBe(DEBUG);
    expect(effectiveLevel(ERROR, { error: "The coordinator is loading and hence can't process requests" })).toBe(DEBUG);
    expect(effectiveLevel(ERROR, { error: 'The group coordinator is not available' })).toBe(DEBUG);
    expect(effectiveLevel(ERROR, { error: 'Broker: Message size too large' })).toBe(ERROR);
  });
});
