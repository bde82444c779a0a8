import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from './index.ts';

describe('DependencyUnavailableError', () => {
  it('names the dependency only, and keeps the underlying error as its cause', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.7:9092 for patient 9434765919');
    const error = new DependencyUnavailableError('kafka', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'DependencyUnavailableError',
      dependency: 'kafka',
      message: 'kafka is unavailable',
    });
    expect(error.cause).toBe(cause);
    expect(new DependencyUnavailableError('redis').cause).toBeUndefined();
  });
});
