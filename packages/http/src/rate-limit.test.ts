import { describe, expect, it } from 'vitest';
import { networkOf } from './rate-limit.ts';

describe('networkOf: what the audit trail records of a source address', () => {
  it('keeps an IPv4 address to its /24', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.0/24');
    expect(networkOf('10.1.2.255')).toBe('10.1.2.0/24');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address it is', () => {
    expect(networkOf('::ffff:198.51.100.23')).toBe('198.51.100.0/24');
  });

  it('keeps an IPv6 address to its /48', () => {
    expect(networkOf('2001:db8:aa:bb::5')).toBe('2001:db8:aa::/48');
    expect(networkOf('2001:DB8:AA:BB:CC:DD:EE:FF')).toBe('2001:db8:aa::/48');
  });

  it('says unknown rather than guess', () => {
    expect(networkOf('')).toBe('unknown');
  });
});
