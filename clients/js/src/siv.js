/**
 * AES-256-SIV (RFC 5297) with no associated data, built from single-block AES as
 * docs/tokens.md Appendix A spells it out: Node's crypto has no SIV mode.
 */
import { createCipheriv } from 'node:crypto';

const ZERO = Buffer.alloc(16);

/** Doubling in GF(2^128). */
function dbl(block) {
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = ((block[i] << 1) & 0xff) | (i < 15 ? block[i + 1] >> 7 : 0);
  }
  if (block[0] & 0x80) out[15] ^= 0x87;
  return out;
}

function xor(a, b) {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** AES-CMAC (RFC 4493) under one 32-byte key, with its subkeys computed once. */
class Cmac {
  constructor(key) {
    this.ecb = createCipheriv('aes-256-ecb', key, null);
    this.ecb.setAutoPadding(false);
    this.k1 = dbl(this.aes(ZERO));
    this.k2 = dbl(this.k1);
  }

  aes(block) {
    return this.ecb.update(block);
  }

  mac(message) {
    let last;
    let body;
    if (message.length > 0 && message.length % 16 === 0) {
      last = xor(message.subarray(message.length - 16), this.k1);
      body = message.subarray(0, message.length - 16);
    } else {
      const r = message.length % 16;
      const tail = Buffer.alloc(16);
      message.copy(tail, 0, message.length - r);
      tail[r] = 0x80;
      last = xor(tail, this.k2);
      body = message.subarray(0, message.length - r);
    }
    let x = ZERO;
    for (let i = 0; i < body.length; i += 16) x = this.aes(xor(x, body.subarray(i, i + 16)));
    return this.aes(xor(x, last));
  }
}

/** Seals plaintexts (of 16 bytes or more) under one 64-byte SIV key. */
export class Siv {
  constructor(sivKey) {
    if (sivKey.length !== 64) throw new RangeError('an AES-256-SIV key is 64 bytes');
    this.cmac = new Cmac(sivKey.subarray(0, 32));
    this.ctrKey = Buffer.from(sivKey.subarray(32));
    this.d = this.cmac.mac(ZERO); // S2V's D; no associated-data step
  }

  /** V (16 bytes) followed by the ciphertext. */
  encrypt(plain) {
    if (plain.length < 16) throw new RangeError('plaintext shorter than 16 bytes');
    const t = Buffer.concat([
      plain.subarray(0, plain.length - 16),
      xor(plain.subarray(plain.length - 16), this.d),
    ]);
    const v = this.cmac.mac(t);
    const q = Buffer.from(v);
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    // AES-CTR with q as the 128-bit big-endian counter: the keystream of Appendix A.
    const ctr = createCipheriv('aes-256-ctr', this.ctrKey, q);
    return Buffer.concat([v, ctr.update(plain), ctr.final()]);
  }
}
