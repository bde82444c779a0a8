import { TlogError } from './errors.ts';

// C2SP tlog-tiles, "Merkle Tree" and "Log entries": where a tile or an entry bundle is served.

/** A tile of hashes (`level` 0 to 63) or an entry bundle; `width` is set only for a partial one (1 to 255). */
export type TilePath =
  | { readonly kind: 'hashes'; readonly level: number; readonly index: number; readonly width?: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width?: number };

export const MAX_TILE_LEVEL = 63;
/** A partial tile holds 1 to 255 hashes; 256 is a full tile, which carries no width. */
export const MAX_PARTIAL_WIDTH = 255;
/** Longer than any valid path (6 index elements of 4 characters, a level, a width); refused before parsing. */
export const MAX_TILE_PATH_LENGTH = 64;

/** `<N>`: zero-padded 3-digit elements, every one but the last prefixed with `x` (1234067 -> x001/x234/067). */
export function encodeTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TlogError('invalid-argument', 'a tile index must be a non-negative safe integer');
  }
  const elements: string[] = [];
  let rest = index;
  do {
    elements.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return elements.map((element, i) => (i < elements.length - 1 ? `x${element}` : element)).join('/');
}

function widthSuffix(width: number | undefined): string {
  if (width === undefined) return '';
  if (!Number.isInteger(width) || width < 1 || width > MAX_PARTIAL_WIDTH) {
    throw new TlogError('invalid-argument', `a partial tile's width is 1 to ${MAX_PARTIAL_WIDTH}`);
  }
  return `.p/${width}`;
}

/** `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, relative to the log's prefix. */
export function formatTilePath(path: TilePath): string {
  if (path.kind === 'entries') return `tile/entries/${encodeTileIndex(path.index)}${widthSuffix(path.width)}`;
  if (!Number.isInteger(path.level) || path.level < 0 || path.level > MAX_TILE_LEVEL) {
    throw new TlogError('invalid-argument', `a tile level is 0 to ${MAX_TILE_LEVEL}`);
  }
  return `tile/${path.level}/${encodeTileIndex(path.index)}${widthSuffix(path.width)}`;
}

const PATH_SHAPE = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/**
 * Parses a path a client asked for, strictly: only the one canonical spelling of each tile is accepted (no leading
 * `x000`, no leading zeroes in the level or width, level at most 63, width 1 to 255), anything else is refused.
 */
export function parseTilePath(text: string): TilePath {
  const refuse = (): never => {
    throw new TlogError('malformed-path', 'not a tile or entry bundle path');
  };
  if (text.length > MAX_TILE_PATH_LENGTH) return refuse();
  const match = PATH_SHAPE.exec(text);
  if (match === null) return refuse();
  const [, levelText = '', indexText = '', widthText] = match;
  let index = 0;
  for (const element of indexText.split('/')) index = index * 1000 + Number(element.replace('x', ''));
  if (!Number.isSafeInteger(index)) return refuse();
  const width = widthText === undefined ? undefined : Number(widthText);
  if (width !== undefined && width > MAX_PARTIAL_WIDTH) return refuse();
  const level = levelText === 'entries' ? undefined : Number(levelText);
  if (level !== undefined && level > MAX_TILE_LEVEL) return refuse();
  const parsed: TilePath =
    level === undefined
      ? { kind: 'entries', index, ...(width === undefined ? {} : { width }) }
      : { kind: 'hashes', level, index, ...(width === undefined ? {} : { width }) };
  // Canonical form only: a second spelling of the same tile (x000/005 for 005) is not the same resource.
  if (formatTilePath(parsed) !== text) return refuse();
  return parsed;
}
