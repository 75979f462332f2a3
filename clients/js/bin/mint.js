#!/usr/bin/env node
/**
 * Mint a batch of tokens: reads a JSON list of {text, key, options, ttl, now} from the
 * file named as the first argument (or stdin), with `revealable` if set, and prints a JSON list of {token} or
 * {error, message}, one per item. An item with `html` ({base_url, and imgTag's settings
 * spelled as in Python: css_class}) gives {html}, the markup of imgTag, instead. Used to check that minters agree across
 * languages.
 */
import { readFileSync } from 'node:fs';

import { encode, imgTag, TokenError } from '../src/index.js';

const items = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'));
const results = items.map((item) => {
  const opts = { ...(item.options ?? {}), key: item.key, revealable: item.revealable };
  if (item.ttl !== undefined) Object.assign(opts, { ttl: item.ttl, now: item.now });
  try {
    if (item.html !== undefined) {
      const { base_url: baseUrl, css_class: cssClass, ...settings } = item.html;
      if (cssClass !== undefined) settings.cssClass = cssClass;
      return { html: imgTag(item.text, baseUrl, { ...opts, ...settings }) };
    }
    return { token: encode(item.text, opts) };
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    return { error: error.name, message: error.message };
  }
});
process.stdout.write(`${JSON.stringify(results)}\n`);
