/** Keys (docs/tokens.md §1): the text form, and the subkeys derived with HKDF-SHA256. */
import { hkdfSync } from 'node:crypto';

import { KeyConfigError } from './errors.js';
import { Siv } from './siv.js';

const ASCII_WHITESPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;
const NO_SALT = Buffer.alloc(0);

function derive(secret, purpose, length) {
  // hkdfSync returns an ArrayBuffer, not a Buffer.
  return Buffer.from(hkdfSync('sha256', secret, NO_SALT, `glyphveil/v1/${purpose}`, length));
}

/** A key ready to mint: its 3-byte token header and its AES-SIV sealer. */
export class Key {
  constructor(secret) {
    this.keyId = derive(secret, 'key-id', 2);
    this.header = Buffer.concat([Buffer.from([1]), this.keyId]);
    this.siv = new Siv(derive(secret, 'aes-siv', 64));
  }

  /** Read a key's text form; `source` names where it came from in the error. */
  static parse(text, source = 'key') {
    const trimmed = typeof text === 'string' ? text.replace(ASCII_WHITESPACE, '') : '';
    const secret = KEY_TEXT.test(trimmed) ? Buffer.from(trimmed, 'base64url') : null;
    // Node's base64 decoder is lenient: only a key that re-encodes to itself is canonical.
    if (secret === null || secret.length !== 32 || secret.toString('base64url') !== trimmed) {
      throw new KeyConfigError(
        `${source}: malformed key (expected 43 characters of URL-safe base64; ` +
          'make one with `glyphveil keygen`)',
      );
    }
    return new Key(secret);
  }
}

const parsed = new Map();

/** The Key for a key text, parsed once. */
export function keyFor(text, source) {
  let key = parsed.get(text);
  if (key === undefined) {
    key = Key.parse(text, source);
    if (parsed.size < 64) parsed.set(text, key);
  }
  return key;
}

/** The minting key: `key` if given, else the first of GLYPHVEIL_KEYS. */
export function mintingKey(key) {
  if (key !== undefined) return keyFor(key, 'key');
  const first = (process.env.GLYPHVEIL_KEYS ?? '')
    .split(',')
    .find((part) => part.replace(ASCII_WHITESPACE, '') !== '');
  if (first === undefined) {
    throw new KeyConfigError('no key: pass {key} or set GLYPHVEIL_KEYS');
  }
  return keyFor(first, 'GLYPHVEIL_KEYS');
}
