/**
 * Render options: one spelling rule for all of them (docs/tokens.md §4.1), ranges,
 * readable contrast and the width the service can draw (§3.2).
 */
import { CSS_COLORS } from './css-colors.js';
import { OptionError } from './errors.js';

/** Font families in token order: a family's id is its index here. */
export const FONTS = Object.freeze(['sans', 'serif', 'mono', 'lato']);
/** Noise levels in token order. */
export const NOISE = Object.freeze(['none', 'low', 'medium', 'high']);
export const OPTION_NAMES = Object.freeze([
  'font',
  'size',
  'color',
  'background',
  'noise',
  'padding',
  'lines',
]);
export const DEFAULTS = Object.freeze({
  font: 'sans',
  size: 16,
  color: Object.freeze([0x22, 0x22, 0x22]),
  background: Object.freeze([0xff, 0xff, 0xff]),
  noise: 'medium',
  padding: 4,
  lines: 1,
});
export const SIZE_RANGE = [8, 128];
export const PADDING_RANGE = [0, 64];
export const MIN_CONTRAST = 4.5;
export const MAX_WIDTH = 16383;
export const DENSITIES = Object.freeze([1, 2, 3]);
const EM_PER_CHAR = 1.25;

const ASCII_WHITESPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

/** A named value in its canonical spelling, or '' (which no name is). */
export function keyword(value) {
  if (typeof value !== 'string' || !/^[\x00-\x7f]*$/.test(value)) return '';
  return value.replace(ASCII_WHITESPACE, '').toLowerCase();
}

/** Python's repr-like rendering of a value for error messages. */
export function show(value) {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 32));
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  return typeof value;
}

/** [r, g, b, a] for a colour string, or null when it is not one. */
export function parseColor(value) {
  const text = keyword(value);
  if (text === 'transparent') return [0, 0, 0, 0];
  if (Object.hasOwn(CSS_COLORS, text)) {
    const rgb = CSS_COLORS[text];
    return [rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff, 255];
  }
  let digits = text.startsWith('#') ? text.slice(1) : text;
  if (!/^[0-9a-f]+$/.test(digits) || ![3, 4, 6, 8].includes(digits.length)) return null;
  if (digits.length <= 4) digits = [...digits].map((d) => d + d).join('');
  if (digits.length === 6) digits += 'ff';
  return [0, 2, 4, 6].map((i) => parseInt(digits.slice(i, i + 2), 16));
}

function opaque(name, value) {
  const parsed = parseColor(value);
  if (parsed === null) {
    const also = name === 'background' ? ', or transparent' : '';
    throw new OptionError(
      `bad ${name} ${show(value)}: use hex of 3, 4, 6 or 8 digits or a CSS name${also}`,
    );
  }
  if (keyword(value) === 'transparent') {
    throw new OptionError(`bad ${name} ${show(value)}: only the background can be transparent`);
  }
  if (parsed[3] !== 255) throw new OptionError(`bad ${name} ${show(value)}: must be opaque`);
  return parsed.slice(0, 3);
}

function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two opaque colours, 1 to 21. */
export function contrastRatio(first, second) {
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (lighter + 0.05) / (darker + 0.05);
}

export function toHex(rgb) {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function measure(name, value, [lo, hi]) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new OptionError(`bad ${name} ${show(value)}: use a whole number of px from ${lo} to ${hi}`);
  }
  return value;
}

function named(name, value, names) {
  const spelled = keyword(value);
  if (!names.includes(spelled)) {
    const verb = name === 'font' ? 'unknown' : 'bad';
    throw new OptionError(`${verb} ${name} ${show(value)}: use one of ${names.join(', ')}`);
  }
  return spelled;
}

/** The most characters (code points) sure to fit in MAX_WIDTH at a density. */
export function maxChars(size, padding, density = 1) {
  const room = MAX_WIDTH / density - 2 * (padding + size);
  return Math.max(0, Math.floor(room / (size * EM_PER_CHAR)));
}

/**
 * Validated options from what a site passes: `{font, size, color, background, noise,
 * padding, lines}`, each optional (`undefined` is left out). `background` is null when
 * transparent in the result.
 */
export function parseOptions(values = {}) {
  for (const name of Object.keys(values)) {
    if (!OPTION_NAMES.includes(name)) {
      throw new OptionError(
        `unknown option ${show(name)}: options are ${OPTION_NAMES.join(', ')}`,
      );
    }
  }
  const given = (name) => values[name] !== undefined;
  const options = {
    font: given('font') ? named('font', values.font, FONTS) : DEFAULTS.font,
    size: given('size') ? measure('size', values.size, SIZE_RANGE) : DEFAULTS.size,
    color: given('color') ? opaque('color', values.color) : DEFAULTS.color,
    background: DEFAULTS.background,
    noise: given('noise') ? named('noise', values.noise, NOISE) : DEFAULTS.noise,
    padding: given('padding') ? measure('padding', values.padding, PADDING_RANGE) : DEFAULTS.padding,
    lines: given('lines') ? lineCount(values.lines) : DEFAULTS.lines,
  };
  if (given('background')) {
    options.background =
      keyword(values.background) === 'transparent' ? null : opaque('background', values.background);
  }
  if (options.background !== null) {
    const ratio = contrastRatio(options.color, options.background);
    if (ratio < MIN_CONTRAST) {
      throw new OptionError(
        `colour ${toHex(options.color)} on ${toHex(options.background)} has contrast ` +
          `${ratio.toFixed(2)}:1, below the ${MIN_CONTRAST}:1 that keeps text readable`,
      );
    }
  }
  return options;
}

function lineCount(value) {
  if (value !== 1 && value !== 2) throw new OptionError(`bad lines ${show(value)}: use 1 or 2`);
  return value;
}

const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** `flags || option fields` for the options that differ from the defaults (§3.1). */
export function packOptions(options) {
  let flags = 0;
  const fields = [];
  if (options.font !== DEFAULTS.font) {
    flags |= 0x01;
    fields.push(FONTS.indexOf(options.font));
  }
  if (options.size !== DEFAULTS.size) {
    flags |= 0x02;
    fields.push(options.size);
  }
  if (!same(options.color, DEFAULTS.color)) {
    flags |= 0x04;
    fields.push(...options.color);
  }
  if (options.background === null) {
    flags |= 0x10;
  } else if (!same(options.background, DEFAULTS.background)) {
    flags |= 0x08;
    fields.push(...options.background);
  }
  if (options.noise !== DEFAULTS.noise) {
    flags |= 0x20;
    fields.push(NOISE.indexOf(options.noise));
  }
  if (options.padding !== DEFAULTS.padding) {
    flags |= 0x40;
    fields.push(options.padding);
  }
  return { flags, fields };
}
