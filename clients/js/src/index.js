/**
 * glyphveil tokens for Node: keep sensitive strings out of HTML.
 *
 *   import { imgTag } from 'glyphveil';
 *   imgTag('jane@example.com', 'https://img.example.com', { alt: 'email address' });
 *
 * Depends on Node's built-in crypto only. The format is docs/tokens.md.
 */
export { describe } from './alt.js';
export { KeyConfigError, OptionError, TokenError } from './errors.js';
export { COMPACT_CLASS, DEFAULT_DARK, NARROW, NARROW_FIT, escapeHtml, imageUrl, imgTag } from './html.js';
export { breakLines, textBox } from './sizes.js';
export { Key } from './keys.js';
export { FONTS, NOISE, OPTION_NAMES, maxChars, parseColor, parseOptions } from './options.js';
export { MAX_TEXT_BYTES, REFUSED_RANGES } from './text.js';
export { encode, expiryOf } from './token.js';
