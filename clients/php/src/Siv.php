<?php

declare(strict_types=1);

namespace Glyphveil;

/**
 * AES-256-SIV (RFC 5297) with no associated data, from single-block AES as
 * docs/tokens.md Appendix A spells it out: OpenSSL's SIV mode is not in PHP.
 */
final class Siv
{
    private string $macKey;
    private string $ctrKey;
    private string $k1;
    private string $k2;
    private string $d;

    public function __construct(string $sivKey)
    {
        if (strlen($sivKey) !== 64) {
            throw new \LengthException('an AES-256-SIV key is 64 bytes');
        }
        $this->macKey = substr($sivKey, 0, 32);
        $this->ctrKey = substr($sivKey, 32);
        $this->k1 = self::dbl($this->aes(str_repeat("\0", 16)));
        $this->k2 = self::dbl($this->k1);
        $this->d = $this->cmac(str_repeat("\0", 16)); // S2V's D; no associated-data step
    }

    /** V (16 bytes) followed by the ciphertext; the plaintext has 16 bytes or more. */
    public function encrypt(string $plain): string
    {
        $n = strlen($plain);
        if ($n < 16) {
            throw new \LengthException('plaintext shorter than 16 bytes');
        }
        $v = $this->cmac(substr($plain, 0, $n - 16) . (substr($plain, $n - 16) ^ $this->d));
        $q = $v;
        $q[8] = chr(ord($q[8]) & 0x7f);
        $q[12] = chr(ord($q[12]) & 0x7f);
        // AES-CTR with q as the 128-bit big-endian counter: the keystream of Appendix A.
        $sealed = openssl_encrypt($plain, 'aes-256-ctr', $this->ctrKey, OPENSSL_RAW_DATA, $q);
        if ($sealed === false) {
            throw new \RuntimeException('OpenSSL refused AES-256-CTR');
        }
        return $v . $sealed;
    }

    private function aes(string $block): string
    {
        // OPENSSL_ZERO_PADDING turns padding off: one 16-byte block in, 16 bytes out.
        $out = openssl_encrypt(
            $block,
            'aes-256-ecb',
            $this->macKey,
            OPENSSL_RAW_DATA | OPENSSL_ZERO_PADDING
        );
        if ($out === false) {
            throw new \RuntimeException('OpenSSL refused AES-256-ECB');
        }
        return $out;
    }

    /** AES-CMAC (RFC 4493). */
    private function cmac(string $message): string
    {
        $n = strlen($message);
        if ($n > 0 && $n % 16 === 0) {
            $last = substr($message, $n - 16) ^ $this->k1;
            $body = substr($message, 0, $n - 16);
        } else {
            $r = $n % 16;
            $last = str_pad(substr($message, $n - $r) . "\x80", 16, "\0") ^ $this->k2;
            $body = substr($message, 0, $n - $r);
        }
        $x = str_repeat("\0", 16);
        for ($i = 0; $i < strlen($body); $i += 16) {
            $x = $this->aes($x ^ substr($body, $i, 16));
        }
        return $this->aes($x ^ $last);
    }

    /** Doubling in GF(2^128). */
    private static function dbl(string $block): string
    {
        $out = '';
        for ($i = 0; $i < 16; $i++) {
            $next = $i < 15 ? ord($block[$i + 1]) >> 7 : 0;
            $out .= chr(((ord($block[$i]) << 1) & 0xff) | $next);
        }
        if (ord($block[0]) & 0x80) {
            $out[15] = chr(ord($out[15]) ^ 0x87);
        }
        return $out;
    }
}
