/** The text a token may carry (docs/tokens.md §3.3). */
import { OptionError } from './errors.js';

export const MAX_TEXT_BYTES = 256;

/** Code points a text must not hold, as inclusive ranges, with what they are. */
export const REFUSED_RANGES = Object.freeze([
  [0x0000, 0x001f, 'a control character'],
  [0x007f, 0x009f, 'a control character'],
  [0x061c, 0x061c, 'a bidirectional formatting character'],
  [0x200e, 0x200f, 'a bidirectional formatting character'],
  [0x2028, 0x2029, 'a line or paragraph separator'],
  [0x202a, 0x202e, 'a bidirectional formatting character'],
  [0x2066, 0x2069, 'a bidirectional formatting character'],
  [0x206a, 0x206f, 'a deprecated format character'],
  [0xd800, 0xdfff, 'a lone surrogate (not valid Unicode)'],
  [0xfdd0, 0xfdef, 'a noncharacter'],
  [0xfeff, 0xfeff, 'a byte order mark'],
  [0xfff9, 0xfffb, 'an interlinear annotation character'],
  ...Array.from({ length: 17 }, (_, plane) => [
    plane * 0x10000 + 0xfffe,
    plane * 0x10000 + 0xffff,
    'a noncharacter',
  ]),
]);

const hex = (point) => `\\u{${point.toString(16)}}`;
// With the u flag a lone surrogate is a code point of its own, so the D800-DFFF range
// finds unpaired surrogates only, never the halves of a pair.
const REFUSED = new RegExp(
  `[${REFUSED_RANGES.map(([lo, hi]) => `${hex(lo)}-${hex(hi)}`).join('')}]`,
  'u',
);

function describe(point) {
  const [, , what] = REFUSED_RANGES.find(([lo, hi]) => lo <= point && point <= hi);
  return `U+${point.toString(16).toUpperCase().padStart(4, '0')}, ${what}`;
}

/** The number of code points in a well-formed text (not UTF-16 code units). */
export function codePoints(text) {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** The UTF-8 bytes of the text, or an OptionError saying what is wrong with it. */
export function checkText(text) {
  if (typeof text !== 'string') {
    throw new OptionError(`text must be a string, not ${text === null ? 'null' : typeof text}`);
  }
  const refused = REFUSED.exec(text);
  if (refused !== null) {
    const at = codePoints(text.slice(0, refused.index));
    throw new OptionError(
      `text holds ${describe(refused[0].codePointAt(0))} at character ${at}: ` +
        "a token's text is one line of printable characters",
    );
  }
  const data = Buffer.from(text, 'utf8');
  if (data.length < 1 || data.length > MAX_TEXT_BYTES) {
    throw new OptionError(`text must be 1 to ${MAX_TEXT_BYTES} UTF-8 bytes, not ${data.length}`);
  }
  return data;
}
