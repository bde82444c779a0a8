import { describe, expect, it } from 'vitest';
import { crc16, keySlot } from './key-slot.ts';

describe('keySlot: Redis Cluster key distribution', () => {
  it('is CRC16/XMODEM: the check value of the Cluster specification', () => {
    // The specification's reference: the output for "123456789" is 0x31C3.
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('gives the slots Redis gives (CLUSTER KEYSLOT on a Redis 7)', () => {
    expect(keySlot('foo')).toBe(12_182);
    expect(keySlot('bar')).toBe(5_061);
    expect(keySlot('hello')).toBe(866);
    expect(keySlot('')).toBe(0);
  });

  it('hashes only the first hash tag, and only a non-empty one', () => {
    expect(keySlot('{user1000}.following')).toBe(3_443);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    // `{}` is no tag: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).toBe(8_363);
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('hub:gen:{inbox:0a1b}:inbox:gp:L85901:items')).toBe(keySlot('inbox:0a1b'));
  });
});
