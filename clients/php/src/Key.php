<?php

declare(strict_types=1);

namespace Glyphveil;

/** A key ready to mint (docs/tokens.md §1): its token header and its AES-SIV sealer. */
final class Key
{
    public const ASCII_WHITESPACE = "\t\n\f\r ";

    public readonly string $keyId;
    public readonly string $header;
    public readonly Siv $siv;

    /** @var array<string, Key> */
    private static array $parsed = [];

    private function __construct(string $secret)
    {
        // hash_hkdf returns raw bytes; no salt is RFC 5869's 32 zero bytes.
        $this->keyId = hash_hkdf('sha256', $secret, 2, 'glyphveil/v1/key-id');
        $this->header = "\x01" . $this->keyId;
        $this->siv = new Siv(hash_hkdf('sha256', $secret, 64, 'glyphveil/v1/aes-siv'));
    }

    /** Read a key's text form; `$source` names where it came from in the error. */
    public static function parse(mixed $text, string $source = 'key'): self
    {
        if (is_string($text) && isset(self::$parsed[$text])) {
            return self::$parsed[$text];
        }
        $trimmed = is_string($text) ? trim($text, self::ASCII_WHITESPACE) : '';
        $secret = preg_match('/^[A-Za-z0-9_-]{43}$/D', $trimmed) === 1
            ? base64_decode(strtr($trimmed, '-_', '+/'), true)
            : false;
        // Re-encode: only the canonical spelling of the 32 bytes is a key.
        if ($secret === false || strlen($secret) !== 32 || self::b64($secret) !== $trimmed) {
            throw new KeyConfigError(
                "$source: malformed key (expected 43 characters of URL-safe base64; "
                . 'make one with `glyphveil keygen`)'
            );
        }
        $key = new self($secret);
        if (is_string($text) && count(self::$parsed) < 64) {
            self::$parsed[$text] = $key;
        }
        return $key;
    }

    /** The minting key: `$key` if given, else the first of GLYPHVEIL_KEYS. */
    public static function minting(mixed $key): self
    {
        if ($key !== null) {
            return self::parse($key, 'key');
        }
        $env = getenv('GLYPHVEIL_KEYS');
        foreach (explode(',', is_string($env) ? $env : '') as $part) {
            if (trim($part, self::ASCII_WHITESPACE) !== '') {
                return self::parse($part, 'GLYPHVEIL_KEYS');
            }
        }
        throw new KeyConfigError("no key: pass ['key' => ...] or set GLYPHVEIL_KEYS");
    }

    /** URL-safe base64 without padding. */
    public static function b64(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }
}
