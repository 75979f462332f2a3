/** The errors of the glyphveil helper, all under TokenError (as in the Python helper). */

export class TokenError extends Error {
  get name() {
    return this.constructor.name;
  }
}

/** A text or option cannot be encoded; the message names it. */
export class OptionError extends TokenError {}

/** The key is missing or malformed; the message never contains the key. */
export class KeyConfigError extends TokenError {}
