import { describe, expect, it } from 'vitest';
import { encodeTileIndex, formatTilePath, parseTilePath } from './tile-paths.ts';

describe('tile paths (C2SP tlog-tiles)', () => {
  it("encodes the spec's example index 1234067 as x001/x234/067", () => {
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTilePath({ kind: 'hashes', level: 0, index: 1234067 })).toBe('tile/0/x001/x234/067');
  });

  it('pads small indexes and prefixes every element but the last', () => {
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(5)).toBe('005');
    expect(encodeTileIndex(999)).toBe('999');
    expect(encodeTileIndex(1000)).toBe('x001/000');
    expect(encodeTileIndex(1_000_000)).toBe('x001/x000/000');
  });

  it('writes partial tiles and entry bundles', () => {
    expect(formatTilePath({ kind: 'hashes', level: 1, index: 1, width: 17 })).toBe('tile/1/001.p/17');
    expect(formatTilePath({ kind: 'entries', index: 273 })).toBe('tile/entries/273');
    expect(formatTilePath({ kind: 'entries', index: 273, width: 112 })).toBe('tile/entries/273.p/112');
  });

  it('parses what it writes', () => {
    const paths = [
      { kind: 'hashes', level: 0, index: 1234067 },
      { kind: 'hashes', level: 63, index: 0, width: 1 },
      { kind: 'hashes', level: 2, index: 5000, width: 255 },
      { kind: 'entries', index: 0 },
      { kind: 'entries', index: 9_007_199_254_740_991, width: 3 },
    ] as const;
    for (const path of paths) expect(parseTilePath(formatTilePath(path))).toEqual(path);
  });

  it.each([
    'tile/0/x000/005', // a second spelling of 005
    'tile/0/5',
    'tile/0/0005',
    'tile/00/005',
    'tile/64/000',
    'tile/0/001/002',
    'tile/0/x001',
    'tile/0/005.p/0',
    'tile/0/005.p/256',
    'tile/0/005.p/017',
    'tile/0/005.p/',
    'tile/entries/x001/x002/x003/x004/x005/x006/007', // beyond 2^53
    '/tile/0/005',
    'tile/0/005/',
    'tile/-1/005',
    'tile/entries',
    'tile/0/005\n',
    `tile/0/${'x000/'.repeat(20)}005`,
  ])('refuses %j', (path) => {
    expect(() => parseTilePath(path)).toThrow(/^malformed-path: not a tile or entry bundle path$/);
  });

  it('refuses to write a tile that cannot exist', () => {
    expect(() => formatTilePath({ kind: 'hashes', level: 64, index: 0 })).toThrow(/invalid-argument/);
    expect(() => formatTilePath({ kind: 'hashes', level: 0, index: 0, width: 256 })).toThrow(/invalid-argument/);
    expect(() => formatTilePath({ kind: 'entries', index: -1 })).toThrow(/invalid-argument/);
  });
});
