import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';

import { breakLines, encode, expiryOf, Key, KeyConfigError, OptionError, TokenError } from '../src/index.js';
import { caseText, FIRST_KEY, VECTORS } from './vectors.js';

describe('the vectors of docs/tokens.md', () => {
  it('derives the example key id, SIV key and noise key', () => {
    const { key, key_id: keyId, siv_key: sivKey, noise_key: noiseKey } = VECTORS.key_derivation;
    const secret = Buffer.from(key, 'base64url');
    assert.deepEqual([...secret], [...Array(32).keys()]);
    const hkdf = (info, n) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, n));
    assert.equal(hkdf('glyphveil/v1/aes-siv', 64).toString('hex'), sivKey);
    assert.equal(hkdf('glyphveil/v1/noise', 32).toString('hex'), noiseKey);
    assert.equal(Key.parse(key).keyId.toString('hex'), keyId);
  });

  assert.ok(VECTORS.vectors.length >= 9);
  for (const [i, vector] of VECTORS.vectors.entries()) {
    it(`mints vector ${i + 1}`, () => {
      const opts = { key: vector.key, ...vector.options };
      if (vector.expires !== null) {
        assert.equal(expiryOf(vector.ttl, vector.now), vector.expires);
        Object.assign(opts, { ttl: vector.ttl, now: vector.now });
      }
      const token = encode(vector.text, opts);
      assert.equal(token, vector.token);
      const raw = Buffer.from(token, 'base64url');
      assert.equal(raw.subarray(1, 3).toString('hex'), vector.key_id);
      assert.equal(raw.length, 3 + 16 + vector.plaintext.length / 2);
    });
  }
});

describe('the revealable vectors of docs/tokens.md §9', () => {
  assert.ok(VECTORS.revealable.length >= 3);
  for (const [i, vector] of VECTORS.revealable.entries()) {
    it(`mints revealable vector ${i + 1}`, () => {
      const opts = { key: vector.key, ...vector.options, revealable: vector.revealable };
      if (vector.expires !== null) Object.assign(opts, { ttl: vector.ttl, now: vector.now });
      assert.equal(encode(vector.text, opts), vector.token);
    });
  }

  it('refuses a revealable flag that is not a boolean', () => {
    for (const revealable of [1, 'yes', null]) {
      assert.throws(() => encode('a', { key: FIRST_KEY, revealable }), /revealable must be true or false/);
    }
  });
});

describe('the two-line vectors and break cases of docs/tokens.md §11', () => {
  assert.ok(VECTORS.two_lines.length >= 3 && VECTORS.break_cases.length >= 8);
  for (const [i, vector] of VECTORS.two_lines.entries()) {
    it(`mints two-line vector ${i + 1}`, () => {
      const opts = { key: vector.key, ...vector.options, revealable: vector.revealable };
      if (vector.expires !== null) Object.assign(opts, { ttl: vector.ttl, now: vector.now });
      assert.equal(encode(vector.text, opts), vector.token);
      assert.deepEqual(breakLines(vector.text), vector.lines);
    });
  }
  for (const item of VECTORS.break_cases) {
    it(`breaks ${JSON.stringify(item.text)}`, () => assert.deepEqual(breakLines(item.text), item.lines));
  }
});

describe('the minting cases of docs/tokens.md', () => {
  for (const [topic, cases] of Object.entries(VECTORS.mint_cases)) {
    for (const item of cases) {
      it(`${topic}: ${item.why}`, () => {
        const opts = { key: item.key ?? FIRST_KEY, ...(item.options ?? {}) };
        if (item.ttl !== undefined) Object.assign(opts, { ttl: item.ttl, now: item.now });
        const mint = () => encode(caseText(item), opts);
        if (item.token !== undefined) {
          assert.equal(mint(), item.token);
          if (item.expires !== undefined) assert.equal(expiryOf(item.ttl, item.now), item.expires);
        } else if (item.error === 'key') {
          assert.throws(mint, KeyConfigError);
        } else {
          assert.throws(mint, (error) => {
            assert.ok(error instanceof OptionError, `${error}`);
            assert.ok(error.message.toLowerCase().includes(item.error), error.message);
            return true;
          });
        }
      });
    }
  }
});

describe('encode', () => {
  it('is deterministic, and every token has the alphabet of unpadded base64url', () => {
    const token = encode('jane@example.com', { key: FIRST_KEY, noise: 'high' });
    assert.equal(token, encode('jane@example.com', { key: FIRST_KEY, noise: ' High ' }));
    assert.match(token, /^[A-Za-z0-9_-]+$/);
  });

  it('takes its key from GLYPHVEIL_KEYS when none is passed', () => {
    const saved = process.env.GLYPHVEIL_KEYS;
    try {
      process.env.GLYPHVEIL_KEYS = ` ,${FIRST_KEY}, ${VECTORS.vectors[4].key}`;
      assert.equal(encode('alice.martin@example.org'), VECTORS.vectors[0].token);
      delete process.env.GLYPHVEIL_KEYS;
      assert.throws(() => encode('a'), /no key: pass \{key\} or set GLYPHVEIL_KEYS/);
    } finally {
      if (saved === undefined) delete process.env.GLYPHVEIL_KEYS;
      else process.env.GLYPHVEIL_KEYS = saved;
    }
  });

  it('never puts the key in an error message', () => {
    const key = `${FIRST_KEY.slice(0, 42)}+`;
    assert.throws(
      () => encode('a', { key }),
      (error) => error instanceof KeyConfigError && !error.message.includes(key.slice(0, 8)),
    );
    assert.throws(() => encode('a', { key: 42 }), KeyConfigError);
  });

  it('refuses text that would not draw as minted, naming the character', () => {
    assert.throws(
      () => encode('\u202emoc.elpmaxe@enaj', { key: FIRST_KEY }),
      /^OptionError: text holds U\+202E, a bidirectional formatting character at character 0/,
    );
    assert.throws(() => encode('a\ud800', { key: FIRST_KEY }), /U\+D800, a lone surrogate/);
    assert.throws(() => encode('a\udc00b', { key: FIRST_KEY }), /U\+DC00/);
    assert.throws(() => encode(42, { key: FIRST_KEY }), /text must be a string, not number/);
    // a surrogate pair is one code point, not a lone surrogate
    encode('\ud83d\ude00', { key: FIRST_KEY });
  });

  it('names a misspelled option, and refuses noise as a number or a boolean', () => {
    assert.throws(() => encode('a', { key: FIRST_KEY, colour: '#222' }), /unknown option "colour"/);
    for (const noise of [true, 1, 3, null]) {
      assert.throws(() => encode('a', { key: FIRST_KEY, noise }), /bad noise/);
    }
    assert.throws(() => encode('a', { key: FIRST_KEY, ttl: Number.NaN }), /bad ttl NaN/);
    assert.throws(() => encode('a', { key: FIRST_KEY, ttl: Infinity }), /bad ttl Infinity/);
    assert.throws(() => encode('a', null), /options must be an object/);
  });

  it('leaves options that are undefined at their default', () => {
    const token = encode('alice.martin@example.org', { key: FIRST_KEY, font: undefined });
    assert.equal(token, VECTORS.vectors[0].token);
  });

  it('raises errors under TokenError', () => {
    assert.ok(new OptionError('x') instanceof TokenError);
    assert.equal(new OptionError('x').name, 'OptionError');
  });
});
