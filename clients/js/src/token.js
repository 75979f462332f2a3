/** Minting a token (docs/tokens.md §4). */
import { OptionError } from './errors.js';
import { mintingKey } from './keys.js';
import { MAX_WIDTH, maxChars, packOptions, parseOptions, show } from './options.js';
import { checkText, codePoints } from './text.js';

const BUCKETS = [32, 64, 128, 256];
const EXPIRY_MAX = 2 ** 32 - 1;

function seconds(name, value) {
  if (typeof value !== 'number') {
    throw new OptionError(`bad ${name} ${show(value)}: use a number of seconds`);
  }
  if (!Number.isFinite(value)) {
    throw new OptionError(`bad ${name} ${show(value)}: use a finite number of seconds`);
  }
  return value;
}

/** `ceil(now + ttl)`, the sum in doubles (§4.2); `now` defaults to the clock. */
export function expiryOf(ttl, now) {
  const span = seconds('ttl', ttl);
  if (!(span > 0)) throw new OptionError(`bad ttl ${show(ttl)}: use a positive number of seconds`);
  const start = now === undefined ? Date.now() / 1000 : seconds('now', now);
  const expiry = Math.ceil(start + span);
  if (!(expiry >= 1 && expiry <= EXPIRY_MAX)) {
    throw new OptionError(
      `bad ttl ${show(ttl)}: the expiry must fall between 1970 and 2106-02-07T06:28:15Z`,
    );
  }
  return expiry;
}

/** The extensions byte (§9, §11): revealable is bit 0, two lines bit 1; absent when 0. */
function extensionsByte(revealable, lines) {
  const byte = (revealable ? 0x01 : 0) | (lines === 2 ? 0x02 : 0);
  return Buffer.from(byte ? [byte] : []);
}

const MINT_ARGS = new Set(['key', 'ttl', 'now', 'revealable']);

/**
 * Split what `encode` takes into the render options and the rest.
 * @returns {{options: object, key?: string, ttl?: number, now?: number}}
 */
export function splitArguments(values, extra = []) {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new OptionError(`options must be an object, not ${show(values)}`);
  }
  const options = {};
  const rest = {};
  for (const [name, value] of Object.entries(values)) {
    if (MINT_ARGS.has(name) || extra.includes(name)) rest[name] = value;
    else options[name] = value;
  }
  return { options, ...rest };
}

/**
 * Encrypt and sign `text` with its render options into a compact URL-safe token.
 *
 * `opts`: `font`, `size`, `color`, `background`, `noise`, `padding`, `lines` (1 or 2,
 * §11) (docs/tokens.md §4.1); `ttl` (seconds, positive) and `now` (Unix seconds, default the clock) for an
 * expiry; `key` (the key text; default the first of GLYPHVEIL_KEYS); `revealable: true`
 * lets the service's reveal route give the text to a visitor who asks (§9).
 */
export function encode(text, opts = {}) {
  const { options, key, ttl, now, revealable = false } = splitArguments(opts);
  if (typeof revealable !== 'boolean') {
    throw new OptionError(`revealable must be true or false, not ${show(revealable)}`);
  }
  const data = checkText(text);
  const parsed = parseOptions(options);
  const keyToUse = mintingKey(key);
  const expiry = ttl === undefined ? undefined : expiryOf(ttl, now);
  return seal(text, data, parsed, keyToUse, expiry, revealable);
}

/**
 * A token for checked text (`data`, its UTF-8 bytes) with parsed options, a minting key,
 * an expiry (Unix seconds, or undefined) and the revealable mark: §4's steps after the
 * checks, shared by encode and the markup helpers.
 */
export function seal(text, data, parsed, keyToUse, expiry, revealable = false) {
  const chars = codePoints(text);
  if (chars > maxChars(parsed.size, parsed.padding)) {
    throw new OptionError(
      `text of ${chars} characters at size ${parsed.size} could be wider than the ` +
        `${MAX_WIDTH} px the service draws: use a smaller size or a shorter text`,
    );
  }
  let { flags, fields } = packOptions(parsed);
  if (expiry !== undefined) {
    flags |= 0x80;
    fields = [...fields, expiry >>> 24, (expiry >>> 16) & 0xff, (expiry >>> 8) & 0xff, expiry & 0xff];
  }
  const bucket = BUCKETS.find((b) => data.length <= b);
  const plain = Buffer.concat([
    Buffer.from([flags, ...fields, data.length - 1]),
    data,
    Buffer.alloc(bucket - data.length),
    extensionsByte(revealable, parsed.lines), // §9, §11
  ]);
  return Buffer.concat([keyToUse.header, keyToUse.siv.encrypt(plain)]).toString('base64url');
}
