/**
 * Alt text: what kind of value an image shows, never the value itself. The same guess
 * as the Python helper's tokens.alt.describe, from the text's shape alone.
 */

export const EMAIL = 'email address';
export const PHONE = 'phone number';
export const PRICE = 'price';
export const GENERIC = 'protected text';

// Python's str.isspace(), \d (decimal digits) and \w (letters, numbers, underscore).
const WS = '\\t\\n\\x0b\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const D = '\\p{Nd}';
const W = '\\p{L}\\p{N}_';
const EMAIL_SHAPE = new RegExp(`^(?:mailto:)?[^@${WS}]+@[^@${WS}]+\\.[^@${WS}.]{2,}$`, 'iu');
const PHONE_SHAPE = new RegExp(
  `^(?:tel:)?\\+?[${D}${WS}().\\-/]+(?:[${WS}]*(?:ext\\.?|x)[${WS}]*[${D}]{1,6})?$`,
  'iu',
);
const AMOUNT_SHAPE = new RegExp(`^[-+]?[${D}][${D}${WS}.,'’]*(?:[${WS}]*/[${WS}]*[${W}]{1,10})?$`, 'u');
const CURRENCY_CODE = new RegExp(`(?<![${W}])[A-Z]{3}(?![${W}])`, 'gu');
const FORMAT = /\p{Cf}/gu;
const SPACE_AROUND = new RegExp(`^[${WS}]+|[${WS}]+$`, 'gu');
const CURRENCY = /^\p{Sc}$/u;
const DIGIT = /^\p{Nd}$/u;

/** A generic description of `text`: email address, phone number, price or protected text. */
export function describe(text) {
  const shown = text.replace(FORMAT, '').normalize('NFKC').replace(SPACE_AROUND, '');
  if (EMAIL_SHAPE.test(shown)) return EMAIL;
  const chars = [...shown];
  const symbols = chars.filter((char) => CURRENCY.test(char));
  const codes = shown.match(CURRENCY_CODE) ?? [];
  if (symbols.length || codes.length) {
    const bare = chars
      .filter((char) => !symbols.includes(char))
      .join('')
      .replace(CURRENCY_CODE, '')
      .replace(SPACE_AROUND, '');
    if (AMOUNT_SHAPE.test(bare)) return PRICE;
  }
  const digits = chars.filter((char) => DIGIT.test(char)).length;
  if (digits >= 6 && digits <= 20 && PHONE_SHAPE.test(shown)) return PHONE;
  return GENERIC;
}

const NOT_ALNUM = /[^\p{L}\p{N}]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;
const SPACES = new RegExp(`[${WS}]+`, 'u');
// Python's distinct-run length: a letters-and-digits run this long tells the text apart.
const DISTINCT = 3;

function normal(text) {
  return text.replace(FORMAT, '').normalize('NFKC').toLowerCase();
}

/**
 * Whether attribute `value` contains `text` or a near copy of it, as the Python helper's
 * tokens.alt.leaks tells: format characters removed, NFKC, lower case; and as runs of
 * letters and digits alone, so `j.a.n.e@example.com` or `JANE @ EXAMPLE . COM` count.
 */
export function leaks(text, value) {
  const needle = normal(text).replace(SPACE_AROUND, '');
  const haystack = normal(value);
  if (!needle) return false;
  const key = needle.replace(NOT_ALNUM, '');
  if ([...key].length >= DISTINCT) {
    return haystack.includes(needle) || haystack.replace(NOT_ALNUM, '').includes(key);
  }
  if (!key) return haystack.includes(needle);
  const words = haystack.match(WORD) ?? [];
  return words.includes(key) || haystack.split(SPACES).includes(needle);
}
