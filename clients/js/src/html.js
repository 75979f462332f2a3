/** Image URLs and escaped <img> markup for protected text. */
import { OptionError } from './errors.js';
import { DENSITIES, maxChars, parseOptions, show } from './options.js';
import { encode, splitArguments } from './token.js';
import { codePoints } from './text.js';

const FORMATS = ['png', 'webp'];
const ATTRIBUTE_NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
// Characters that draw nothing: dropped before looking for the text in alt or attributes,
// so that "jane\u200b@example.com" cannot smuggle the text back into the page.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Z}]/gu;

// Python's str.strip(): the helpers drop it around the text ("jane@example.com\n" from a
// database field); encode keeps the text exactly as given.
const SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SURROUNDING_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
const trimmed = (text) => (typeof text === 'string' ? text.replace(SURROUNDING_SPACE, '') : text);

/** `&`, `<`, `>`, `"` and `'` as character references. */
export function escapeHtml(value) {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function comparable(value) {
  return value.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
}

function tokenUrl(text, baseUrl, opts, extra) {
  const { options, key, ttl, now, revealable, format = 'png', density = 1, ...rest } = splitArguments(
    opts,
    ['format', 'density', ...extra],
  );
  if (typeof baseUrl !== 'string') {
    throw new OptionError(`baseUrl must be a string, not ${show(baseUrl)}`);
  }
  if (!FORMATS.includes(format)) throw new OptionError(`bad format ${show(format)}: use png or webp`);
  if (!DENSITIES.includes(density)) {
    throw new OptionError(`bad density ${show(density)}: use 1, 2 or 3`);
  }
  const token = encode(text, { ...options, key, ttl, now, revealable });
  const base = `${baseUrl.replace(/\/+$/, '')}/t/${token}`;
  return { base, format, density, options, rest };
}

/**
 * The URL of the image of `text`: `{baseUrl}/t/{token}[@2x].png`. `opts` takes what
 * `encode` takes, plus `format` (`png`, `webp`) and `density` (1, 2, 3). Surrounding
 * whitespace (as Python's `str.strip`) is dropped from `text` first, as by `imgTag`.
 */
export function imageUrl(text, baseUrl, opts = {}) {
  const { base, format, density } = tokenUrl(trimmed(text), baseUrl, opts, []);
  return `${base}${density === 1 ? '' : `@${density}x`}.${format}`;
}

/**
 * Escaped `<img>` markup for `text`, with a 2x `srcset` when the text fits at 2x.
 * Surrounding whitespace is dropped from `text` first (`encode` keeps it exactly).
 *
 * `alt` describes the image ("email address", default "protected text") and must not
 * contain the text; `attrs` adds attributes such as `class` (not `src`, `srcset` or
 * `alt`), whose values must not contain it either.
 */
export function imgTag(text, baseUrl, opts = {}) {
  text = trimmed(text);
  const { alt = 'protected text', attrs = {} } = opts ?? {};
  if (typeof alt !== 'string' || alt.trim() === '') {
    throw new OptionError('alt must be a non-empty string that describes the image');
  }
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
    throw new OptionError(`attrs must be an object, not ${show(attrs)}`);
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (!ATTRIBUTE_NAME.test(name) || ['src', 'srcset', 'alt'].includes(name.toLowerCase())) {
      throw new OptionError(`bad attribute name ${show(name)}: src, srcset and alt are set here`);
    }
    if (typeof value !== 'string') {
      throw new OptionError(`attribute ${name} must be a string, not ${show(value)}`);
    }
  }
  const { base, format, options } = tokenUrl(text, baseUrl, opts, ['alt', 'attrs']);
  const needle = comparable(text);
  if (needle && comparable(alt).includes(needle)) {
    throw new OptionError('alt text must not contain the protected text; describe it instead');
  }
  if (needle && Object.values(attrs).some((value) => comparable(value).includes(needle))) {
    throw new OptionError('attributes must not contain the protected text');
  }
  const parsed = parseOptions(options);
  const attributes = { src: `${base}.${format}` };
  if (codePoints(text) <= maxChars(parsed.size, parsed.padding, 2)) {
    attributes.srcset = `${base}@2x.${format} 2x`;
  }
  Object.assign(attributes, { alt, loading: 'lazy', decoding: 'async' }, attrs);
  const rendered = Object.entries(attributes)
    .map(([name, value]) => `${name}="${escapeHtml(value)}"`)
    .join(' ');
  return `<img ${rendered}>`;
}
