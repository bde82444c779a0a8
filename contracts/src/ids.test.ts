import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, contentId } from './ids.ts';

describe('content ids', () => {
  it('are stable for the same parts and differ when any part differs', () => {
    expect(contentId('rcpt', 'ASP', 'INC-1', 'abc')).toBe(contentId('rcpt', 'ASP', 'INC-1', 'abc'));
    expect(contentId('rcpt', 'ASP', 'INC-1', 'abc')).not.toBe(contentId('rcpt', 'ASP', 'INC-1', 'abd'));
    expect(contentId('rcpt', 'ASP', 'INC-1', 'abc')).toMatch(/^rcpt_[a-f0-9]{32}$/);
  });

  it('cannot be confused by moving a boundary between parts', () => {
    expect(contentId('x', 'ab', 'c')).not.toBe(contentId('x', 'a', 'bc'));
  });
});

describe('canonical JSON', () => {
  it('ignores key order at every depth but not array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
  });
});
