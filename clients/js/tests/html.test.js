import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { encode, escapeHtml, imageUrl, imgTag, OptionError } from '../src/index.js';
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
    assert.equal(
      html,
      `<img src="${BASE}/t/${token}.png" srcset="${BASE}/t/${token}@2x.png 2x" ` +
        'alt="email &#34;address&#34; &#60;b&#62;" loading="lazy" decoding="async" ' +
        'class="contact &#38; more" data-x="it&#39;s">',
    );
    assert.ok(!html.includes(EMAIL));
  });

  it('leaves out the 2x srcset when the text is too wide at 2x', () => {
    const text = 'x'.repeat(60);
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
    for (const name of ['src', 'SRCSET', 'alt', 'on click', '']) {
      assert.throws(
        () => imgTag(EMAIL, BASE, { key: FIRST_KEY, attrs: { [name]: 'x' } }),
        /bad attribute name/,
      );
    }
    assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, attrs: { class: 1 } }), /must be a string/);
    assert.throws(() => imgTag(EMAIL, BASE, { key: FIRST_KEY, atrs: {} }), /unknown option "atrs"/);
  });

  it('escapes the five HTML-special characters', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
