/**
 * Image sizes from font metrics, as the service draws them (tokens/sizes.py, whose rules
 * this mirrors exactly): the box of a line, widths rounded up to buckets, and the two
 * lines of a token minted with `lines: 2` (docs/tokens.md §11).
 *
 * font_metrics.json is a copy of the Python package's tokens/font_metrics.json; the
 * project's tests check that the copy, and the noise room below, are the same.
 */
import { readFileSync } from 'node:fs';

import { MAX_WIDTH } from './options.js';

/** Room each noise level takes, in em (see tokens/sizes.py NOISE_ROOM). */
export const NOISE_ROOM = Object.freeze({
  none: Object.freeze({ slack: 0.0, tracking: 0.0, minSize: 0 }),
  low: Object.freeze({ slack: 0.42, tracking: 0.03, minSize: 16 }),
  medium: Object.freeze({ slack: 0.7, tracking: -0.04, minSize: 24 }),
  high: Object.freeze({ slack: 0.77, tracking: -0.05, minSize: 24 }),
});
/** Widths round up to a multiple of this many em of the drawn size. */
export const BUCKET_EM = 2;
/** The service's default limit on an image's area in device px. */
export const MAX_PIXELS = 16_000_000;
/** Separators a line may break after, unless between two digits (§11). */
export const BREAK_AFTER = Object.freeze(['-', '/', '.', '_', ',', '·']);
const MISSING = 0x25a1;
const GRID = 1 / 64;
const DROPPED = /^[\p{Cc}\p{Zl}\p{Zp}]$/u;
const ATTACHED = /^[\p{Mn}\p{Me}\p{Mc}\p{Cf}]$/u;
const DIGIT = /^\p{Nd}$/u;

let table = null;

function font(name, entry) {
  const starts = [];
  const ends = [];
  const advances = [];
  let end = 0;
  const flat = entry.advances;
  for (let i = 0; i < flat.length; i += 3) {
    starts.push(end + flat[i]);
    end = end + flat[i] + flat[i + 1];
    ends.push(end);
    advances.push(flat[i + 2]);
  }
  const advance = (code) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (code < starts[mid]) hi = mid;
      else lo = mid + 1;
    }
    const index = lo - 1;
    return index >= 0 && code < ends[index] ? advances[index] : null;
  };
  return {
    name,
    unitsPerEm: entry.units_per_em,
    ascent: entry.ascent,
    descent: entry.descent,
    advance,
  };
}

/** The bundled fonts' metrics, read once. */
export function fontTable() {
  if (table === null) {
    const raw = JSON.parse(readFileSync(new URL('./font_metrics.json', import.meta.url), 'ascii'));
    const fonts = Object.fromEntries(
      Object.entries(raw.fonts).map(([name, entry]) => [name, font(name, entry)]),
    );
    table = {
      families: Object.fromEntries(
        Object.entries(raw.families).map(([family, name]) => [family, fonts[name]]),
      ),
      fallbacks: raw.fallbacks.map((name) => fonts[name]),
    };
  }
  return table;
}

/** The font size in CSS px the service draws at: the size, raised to the level's minimum. */
export function drawnSize(options) {
  return Math.max(options.size, NOISE_ROOM[options.noise].minSize);
}

/** `width` rounded up to a multiple of BUCKET_EM em of the drawn size. */
export function bucketWidth(width, options) {
  const step = BUCKET_EM * drawnSize(options);
  return Math.ceil(width / step) * step;
}

/** The lines a token with `lines: 2` draws (§11): two, or one where there is no break. */
export function breakLines(text) {
  const chars = [...text];
  const at = chars.lastIndexOf('@');
  if (at > 0 && at < chars.length - 1) {
    return [chars.slice(0, at + 1).join(''), chars.slice(at + 1).join('')];
  }
  let best = null;
  chars.forEach((char, index) => {
    let lines;
    if (char === ' ') {
      lines = [chars.slice(0, index), chars.slice(index + 1)];
    } else if (
      BREAK_AFTER.includes(char) &&
      !(
        index > 0 &&
        index < chars.length - 1 &&
        DIGIT.test(chars[index - 1]) &&
        DIGIT.test(chars[index + 1])
      )
    ) {
      lines = [chars.slice(0, index + 1), chars.slice(index + 1)];
    } else {
      return;
    }
    if (!lines.every((line) => line.some((c) => c !== ' '))) return;
    const longer = Math.max(lines[0].length, lines[1].length);
    if (best === null || longer < Math.max(best[0].length, best[1].length)) best = lines;
  });
  return best === null ? [text] : best.map((line) => line.join(''));
}

function lineBox(text, options) {
  const { families, fallbacks } = fontTable();
  const family = families[options.font];
  const sans = families.sans;
  const used = new Map([[family.name, family]]);
  let em = 0;
  let glyphs = 0;
  let clusters = 0;
  let last = null;
  for (const char of text) {
    const code = char.codePointAt(0);
    if (DROPPED.test(char)) continue;
    let drawn;
    let advance;
    if (ATTACHED.test(char)) {
      if (last === null) continue;
      advance = last.advance(code);
      if (advance === null) continue;
      drawn = last;
    } else {
      drawn = [family, sans, ...fallbacks].find((f) => f.advance(code) !== null);
      if (drawn === undefined) {
        drawn = sans;
        advance = sans.advance(MISSING) ?? 0;
      } else {
        advance = drawn.advance(code);
      }
      last = drawn;
      used.set(drawn.name, drawn);
      clusters += 1;
    }
    em += advance / drawn.unitsPerEm;
    glyphs += 1;
  }
  const size = drawnSize(options);
  const room = NOISE_ROOM[options.noise];
  const line = size * (em + clusters * room.tracking) + glyphs * GRID;
  const edge = options.padding + Math.ceil(size * room.slack);
  const fonts = [...used.values()];
  const ascent = Math.max(...fonts.map((f) => (size * f.ascent) / f.unitsPerEm));
  const descent = Math.max(...fonts.map((f) => (size * f.descent) / f.unitsPerEm));
  return {
    width: Math.max(1, Math.ceil(line) + 2 * edge),
    height: Math.max(1, Math.ceil(ascent + descent) + 2 * edge),
  };
}

/**
 * The image's size in CSS px, `{width, height}`, for `text` with parsed options (those
 * of parseOptions): what the service draws, times the density in device px.
 */
export function textBox(text, options) {
  const lines = options.lines === 2 ? breakLines(text) : [text];
  const boxes = lines.map((line) => lineBox(line, options));
  const width = bucketWidth(Math.max(...boxes.map((box) => box.width)), options);
  return { width, height: boxes.reduce((sum, box) => sum + box.height, 0) };
}

/** Whether the service draws a box at `density` (each side and the area within limits). */
export function fits(box, density, maxPixels = MAX_PIXELS) {
  const width = box.width * density;
  const height = box.height * density;
  return width <= MAX_WIDTH && height <= MAX_WIDTH && width * height <= maxPixels;
}
