import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describe as guessAlt, encode, escapeHtml, imageUrl, imgTag, OptionError } from '../src/index.js';
import { FIRST_KEY } from './vectors.js';

const BASE = 'https://img.example.com';
const EMAIL = 'jane@example.com';

describe('imageUrl', () => {
  it('puts the token under /t/ with the density and format', () => {
    const token = encode(EMAIL, { key: FIRST_KEY, noise: 'low' });
    assert.equal(imageUrl(EMAIL, `${BASE}/`, { key: FIRST_KEY, noise: 'low' }), `${BASE}/t/${token}.png`);
    assert.equal(
      imageUrl(EMAIL, BASE, { key: FIRST_KEY, noise: 'low', density: 2, format: 'webp' }),
      `${BASE}/t/${token}@2x.webp`,
    );
    assert.equal(imageUrl(EMAIL, '', { key: FIRST_KEY, noise: 'low' }), `/t/${token}.png`);
  });

  it('refuses a bad format, density or base URL', () => {
    assert.throws(() => imageUrl(EMAIL, BASE, { key: FIRST_KEY, format: 'gif' }), /bad format/);
    assert.throws(() => imageUrl(EMAIL, BASE, { key: FIRST_KEY, density: 4 }), /bad density 4/);
    assert.throws(() => imageUrl(EMAIL, BASE, { key: FIRST_KEY, density: '2' }), /bad density/);
    assert.throws(() => imageUrl(EMAIL, null, { key: FIRST_KEY }), /baseUrl must be a string/);
    assert.throws(() => imageUrl(EMAIL, undefined, { key: FIRST_KEY }), OptionError);
  });
});

describe('imgTag', () => {
  it('writes escaped markup with a 2x srcset and never the text', () => {
    const html = imgTag(EMAIL, BASE, {
      key: FIRST_KEY,
      alt: 'email "address" <b>',
      attrs: { class: 'contact & more', 'data-x': "it's" },
    });
    const token = encode(EMAIL, { key: FIRST_KEY });
    const [width, height] = [288, 70]; // tokens.sizes.text_box in Python says so
    assert.equal(
      html,
      `<img src="${BASE}/t/${token}.png" srcset="${BASE}/t/${token}@2x.png 2x" ` +
        `width="${width}" height="${height}" ` +
        'alt="email &quot;address&quot; &lt;b&gt;" class="glyphveil contact &amp; more" ' +
        'loading="lazy" decoding="async" data-x="it&#x27;s">',
    );
    assert.ok(!html.includes(EMAIL));
  });

  it('leaves out the 2x srcset when the text is too wide at 2x', () => {
    const text = 'W'.repeat(90);
    const html = imgTag(text, BASE, { key: FIRST_KEY, size: 128, padding: 64 });
    assert.ok(!html.includes('srcset'));
    assert.ok(imgTag('x'.repeat(40), BASE, { key: FIRST_KEY, size: 128 }).includes('srcset'));
  });

  it('refuses an alt or attribute that holds the text, even with invisible characters', () => {
    for (const alt of [EMAIL, `Mail: ${EMAIL.toUpperCase()}`, 'jane\u200b@example.com', 'ｊａｎｅ@example.com']) {
      assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, alt }), /alt text must not contain/);
    }
    assert.throws(
      () => imgTag(EMAIL, BASE, { key: FIRST_KEY, attrs: { title: `write to ${EMAIL}` } }),
      /attributes must not contain/,
    );
  });

  it('refuses a missing alt and attributes it sets itself', () => {
    for (const alt of [null, '', ' ', 3]) {
      assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, alt }), /alt must be a non-empty/);
    }
    for (const name of ['src', 'SRCSET', 'alt', 'Width', 'height', 'on click', '']) {
      assert.throws(
        () => imgTag(EMAIL, BASE, { key: FIRST_KEY, attrs: { [name]: 'x' } }),
        /bad attribute name/,
      );
    }
    assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, attrs: { class: 1 } }), /must be a string/);
    assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, atrs: {} }), /unknown option "atrs"/);
  });

  it('escapes the five HTML-special characters', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;',
    );
  });

  it('offers narrow screens the text on two lines, in a <picture>', () => {
    const long = 'alice.martin@example.org';
    const html = imgTag(long, BASE, { key: FIRST_KEY, alt: 'email address' });
    const two = encode(long, { key: FIRST_KEY, lines: 2 });
    const one = encode(long, { key: FIRST_KEY });
    assert.equal(
      html,
      `<picture><source media="(max-width: 480px)" srcset="${BASE}/t/${two}.png 1x, ` +
        `${BASE}/t/${two}@2x.png 2x" width="240" height="140">` +
        `<img src="${BASE}/t/${one}.png" srcset="${BASE}/t/${one}@2x.png 2x" width="384" ` +
        'height="70" alt="email address" class="glyphveil" loading="lazy" decoding="async">' +
        '</picture>',
    );
    assert.ok(imgTag(long, BASE, { key: FIRST_KEY, alt: 'email', narrow: null }).startsWith('<img '));
    assert.throws(() => imgTag(long, BASE, { key: FIRST_KEY, alt: 'e', narrow: '480' }), /bad narrow/);
  });

  it('adds dark-scheme sources, narrow and dark first', () => {
    const long = 'alice.martin@example.org';
    const html = imgTag(long, BASE, { key: FIRST_KEY, alt: 'email address', dark: true });
    const media = [...html.matchAll(/media="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(media, [
      '(max-width: 480px) and (prefers-color-scheme: dark)',
      '(max-width: 480px)',
      '(prefers-color-scheme: dark)',
    ]);
    const dark = encode(long, { key: FIRST_KEY, color: '#e6e6e6', background: 'transparent' });
    assert.ok(html.includes(`${BASE}/t/${dark}.png 1x`));
    assert.throws(
      () => imgTag(long, BASE, { key: FIRST_KEY, alt: 'e', dark: { color: '#333', background: '#222' } }),
      /contrast/,
    );
    assert.throws(() => imgTag(long, BASE, { key: FIRST_KEY, alt: 'e', dark: { colour: 'x' } }), /dark takes/);
  });

  it('draws a compact image for a value inside a sentence', () => {
    const long = 'alice.martin@example.org';
    const html = imgTag(long, BASE, { key: FIRST_KEY, alt: 'email address', compact: true, noise: 'high' });
    const token = encode(long, { key: FIRST_KEY, noise: 'low', padding: 0 });
    assert.ok(html.startsWith(`<img src="${BASE}/t/${token}.png"`));
    assert.ok(html.includes('width="256" height="33"'));
    assert.ok(html.includes('class="glyphveil glyphveil-compact"'));
  });

  it('mints lines: 2 into the extensions byte', () => {
    assert.throws(() => encode(EMAIL, { key: FIRST_KEY, lines: 3 }), /bad lines 3: use 1 or 2/);
    assert.throws(() => encode(EMAIL, { key: FIRST_KEY, lines: true }), /bad lines/);
  });

  it('guesses the alt text from the shape of the text, as the Python helper does', () => {
    const guesses = {
      'jane@example.com': 'email address',
      '+44 20 7946 0958': 'phone number',
      '£1,299.00': 'price',
      '12.99 USD': 'price',
      'Acme Widgets Ltd': 'protected text',
    };
    for (const [text, alt] of Object.entries(guesses)) {
      assert.equal(guessAlt(text), alt);
      assert.ok(imgTag(text, BASE, { key: FIRST_KEY, narrow: null }).includes(`alt="${alt}"`));
    }
  });

  it('refuses an alt that spells the text out with punctuation', () => {
    for (const alt of ['j.a.n.e@example.com', 'JANE @ EXAMPLE . COM']) {
      assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, alt }), /alt text must not contain/);
    }
    assert.ok(imgTag('£5', BASE, { key: FIRST_KEY, alt: 'a price' }).includes('alt="a price"'));
  });
});
