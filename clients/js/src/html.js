/** Image URLs and escaped <img> markup for protected text. */
import { describe, leaks } from './alt.js';
import { OptionError } from './errors.js';
import { mintingKey } from './keys.js';
import { DENSITIES, parseOptions, show } from './options.js';
import { fits, textBox } from './sizes.js';
import { checkText } from './text.js';
import { encode, expiryOf, seal, splitArguments } from './token.js';

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

const REFERENCES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

/** `&`, `<`, `>`, `"` and `'` as character references, as Python's html.escape writes them. */
export function escapeHtml(value) {
  return value.replace(/[&<>"']/g, (c) => REFERENCES[c]);
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

/** The viewport width (CSS px) at and below which the two-line image is offered. */
export const NARROW = 480;
/** An image wider than this (CSS px) gets a two-line source, when its text can break. */
export const NARROW_FIT = 288;
/** The colours of `dark: true`: light text on a transparent background. */
export const DEFAULT_DARK = Object.freeze({ color: '#e6e6e6', background: 'transparent' });
export const DEFAULT_CLASS = 'glyphveil';
export const COMPACT_CLASS = 'glyphveil-compact';
const RESERVED = ['src', 'srcset', 'alt', 'width', 'height'];
const IMG_SETTINGS = ['alt', 'attrs', 'cssClass', 'densities', 'format', 'narrow', 'dark', 'compact'];

function checkDensities(densities) {
  if (!Array.isArray(densities) || densities.length === 0) {
    throw new OptionError(`bad densities ${show(densities)}: use an array such as [1, 2]`);
  }
  if (!densities.every((d) => DENSITIES.includes(d))) {
    throw new OptionError(`bad densities ${show(densities)}: use some of 1, 2, 3`);
  }
  if (!densities.includes(1)) throw new OptionError('bad densities: 1 must be among them');
  return [...new Set(densities)].sort((a, b) => a - b);
}

function darkOptions(dark, parsed) {
  if (dark === null || dark === undefined || dark === false) return null;
  const chosen = dark === true ? DEFAULT_DARK : dark;
  if (chosen === null || typeof chosen !== 'object' || Array.isArray(chosen)) {
    throw new OptionError(`dark must be true, null or an object of colours, not ${show(dark)}`);
  }
  const unknown = Object.keys(chosen).filter((name) => !['color', 'background'].includes(name));
  if (unknown.length) {
    throw new OptionError(`dark takes color and background, not ${show(unknown.sort()[0])}`);
  }
  const colours = parseOptions({ ...DEFAULT_DARK, ...chosen });
  return { ...parsed, color: colours.color, background: colours.background };
}

/** [media, parsed options] of each <source>, in the order the browser tries them. */
function pictureSources(text, parsed, narrow, dark) {
  const darkParsed = darkOptions(dark, parsed);
  let twoLines = null;
  if (narrow !== null && parsed.lines === 1) {
    const one = textBox(text, parsed);
    const candidate = { ...parsed, lines: 2 };
    if (one.width > NARROW_FIT && textBox(text, candidate).width < one.width) twoLines = candidate;
  }
  const narrowMedia = `(max-width: ${narrow}px)`;
  const darkMedia = '(prefers-color-scheme: dark)';
  const sources = [];
  if (twoLines !== null && darkParsed !== null) {
    sources.push([`${narrowMedia} and ${darkMedia}`, { ...darkParsed, lines: 2 }]);
  }
  if (twoLines !== null) sources.push([narrowMedia, twoLines]);
  if (darkParsed !== null) sources.push([darkMedia, darkParsed]);
  return sources;
}

function checkedBox(text, parsed) {
  const box = textBox(text, parsed);
  if (!fits(box, 1)) {
    throw new OptionError(
      `the text at size ${parsed.size} makes an image wider than the 16383 px the service ` +
        'draws: use a smaller size or a shorter text',
    );
  }
  return box;
}

const attributeList = (attributes) =>
  Object.entries(attributes)
    .map(([name, value]) => `${name}="${escapeHtml(value)}"`)
    .join(' ');

/**
 * Escaped markup for `text`: an `<img>` with `width` and `height` (the size the service
 * draws, in CSS px), in a `<picture>` when other screens get other images, the same
 * markup the Python helper's img_tag writes for the same arguments.
 *
 * `alt` describes the image (by default a guess from the text's shape, as the Python
 * helper's: "email address", "phone number", "price", else "protected text") and must
 * not contain the text; `attrs` adds attributes (not `src`, `srcset`, `alt`, `width`,
 * `height`), whose values must not contain it either, and whose `class` joins
 * `cssClass` (default `glyphveil`). `densities` (default [1, 2]) are offered in
 * `srcset` where the image fits. `narrow` (480) offers a two-line image at that viewport
 * width and below when the image is wider than 288 px (null: never); `dark` (true or
 * `{color, background}`) a dark-scheme image; `compact: true` the image of a value inside
 * a sentence (noise `low`, no padding, about 1.4 lines of its text tall).
 */
export function imgTag(text, baseUrl, opts = {}) {
  text = trimmed(text);
  const {
    options,
    key,
    ttl,
    now,
    revealable = false,
    alt = describe(typeof text === 'string' ? text : ''),
    attrs = {},
    cssClass = DEFAULT_CLASS,
    densities = [1, 2],
    format = 'png',
    narrow = NARROW,
    dark = null,
    compact = false,
  } = splitArguments(opts, IMG_SETTINGS);
  if (typeof alt !== 'string' || alt.trim() === '') {
    throw new OptionError('alt must be a non-empty string that describes the image');
  }
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
    throw new OptionError(`attrs must be an object, not ${show(attrs)}`);
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (!ATTRIBUTE_NAME.test(name) || RESERVED.includes(name.toLowerCase())) {
      throw new OptionError(
        `bad attribute name ${show(name)}: src, srcset, alt, width and height are set here`,
      );
    }
    if (typeof value !== 'string') {
      throw new OptionError(`attribute ${name} must be a string, not ${show(value)}`);
    }
  }
  if (typeof baseUrl !== 'string') {
    throw new OptionError(`baseUrl must be a string, not ${show(baseUrl)}`);
  }
  if (!FORMATS.includes(format)) throw new OptionError(`bad format ${show(format)}: use png or webp`);
  if (cssClass !== null && typeof cssClass !== 'string') {
    throw new OptionError(`cssClass must be a string or null, not ${show(cssClass)}`);
  }
  if (typeof revealable !== 'boolean') {
    throw new OptionError(`revealable must be true or false, not ${show(revealable)}`);
  }
  if (typeof compact !== 'boolean') {
    throw new OptionError(`compact must be true or false, not ${show(compact)}`);
  }
  if (narrow !== null && !(Number.isInteger(narrow) && narrow >= 1 && narrow <= 10000)) {
    throw new OptionError(`bad narrow ${show(narrow)}: use a viewport width in CSS px such as 480, or null`);
  }
  const offered = checkDensities(densities);
  const data = checkText(text);
  // As the Python helper tells (leaks), and also with every invisible character dropped
  // (for a text long enough not to be any word's part).
  const needle = comparable(text);
  const distinct = [...needle].length >= 3;
  const holds = (value) => leaks(text, value) || (distinct && comparable(value).includes(needle));
  if (holds(alt)) {
    throw new OptionError('alt text must not contain the protected text; describe it instead');
  }
  if (Object.values(attrs).some(holds)) {
    throw new OptionError('attributes must not contain the protected text');
  }
  let parsed = parseOptions(options);
  const classes = cssClass ? [cssClass] : [];
  if (compact) {
    parsed = { ...parsed, noise: parsed.noise === 'none' ? 'none' : 'low', padding: 0, lines: 1 };
    classes.push(COMPACT_CLASS);
  }
  const extra = Object.fromEntries(
    Object.entries(attrs).map(([name, value]) => [name.toLowerCase() === 'class' ? 'class' : name, value]),
  );
  if ('class' in extra) {
    classes.push(extra.class);
    delete extra.class;
  }
  const sources = pictureSources(text, parsed, compact ? null : narrow, dark);
  const keyToUse = mintingKey(key);
  const expiry = ttl === undefined ? undefined : expiryOf(ttl, now);
  const base = `${baseUrl.replace(/\/+$/, '')}/t/`;
  const url = (token, density) => `${base}${token}${density === 1 ? '' : `@${density}x`}.${format}`;
  const srcset = (token, box, plain) =>
    offered
      .filter((d) => (d > 1 || !plain) && fits(box, d))
      .map((d) => `${url(token, d)} ${d}x`)
      .join(', ');
  const box = checkedBox(text, parsed);
  const token = seal(text, data, parsed, keyToUse, expiry, revealable);
  const attributes = { src: url(token, 1) };
  const sharper = srcset(token, box, true);
  if (sharper) attributes.srcset = sharper;
  Object.assign(attributes, { width: String(box.width), height: String(box.height), alt });
  if (classes.length) attributes.class = classes.join(' ');
  Object.assign(attributes, { loading: 'lazy', decoding: 'async' }, extra);
  const img = `<img ${attributeList(attributes)}>`;
  if (!sources.length) return img;
  const tags = sources.map(([media, variant]) => {
    const variantBox = checkedBox(text, variant);
    const variantToken = seal(text, data, variant, keyToUse, expiry);
    const list = attributeList({ media, srcset: srcset(variantToken, variantBox, false) });
    return `<source ${list} width="${variantBox.width}" height="${variantBox.height}">`;
  });
  return `<picture>${tags.join('')}${img}</picture>`;
}
