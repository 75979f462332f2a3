<?php

declare(strict_types=1);

namespace Glyphveil;

/**
 * Alt text: what kind of value an image shows, never the value itself. The same guess
 * as the Python helper's tokens.alt.describe, and the same test for an attribute that
 * gives the text away (tokens.alt.leaks). Compatibility forms are folded with
 * Normalizer (the intl extension) when PHP has it, else full-width ASCII only.
 */
final class Alt
{
    public const EMAIL = 'email address';
    public const PHONE = 'phone number';
    public const PRICE = 'price';
    public const GENERIC = 'protected text';
    // Python's str.isspace(), \d (decimal digits) and \w (letters, numbers, underscore).
    private const WS = '\t\n\x{0B}\f\r\x{1C}-\x{1F} \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}';
    private const D = '\p{Nd}';
    private const W = '\p{L}\p{N}_';
    private const DISTINCT = 3;

    /** A generic description of `$text`: email address, phone number, price or protected text. */
    public static function describe(string $text): string
    {
        $ws = self::WS;
        $d = self::D;
        $w = self::W;
        $shown = self::trim(self::fold((string) preg_replace('/\p{Cf}/u', '', $text)));
        if (preg_match("/^(?:mailto:)?[^@$ws]+@[^@$ws]+\\.[^@$ws.]{2,}$/iuD", $shown) === 1) {
            return self::EMAIL;
        }
        $chars = preg_split('//u', $shown, -1, PREG_SPLIT_NO_EMPTY) ?: [];
        $symbols = array_values(array_filter($chars, static fn (string $c): bool => preg_match('/^\p{Sc}$/u', $c) === 1));
        $code = "/(?<![$w])[A-Z]{3}(?![$w])/u";
        if ($symbols || preg_match($code, $shown) === 1) {
            $rest = implode('', array_filter($chars, static fn (string $c): bool => !in_array($c, $symbols, true)));
            $bare = self::trim((string) preg_replace($code, '', $rest));
            if (preg_match("/^[-+]?[$d][$d$ws.,'’]*(?:[$ws]*\\/[$ws]*[$w]{1,10})?$/uD", $bare) === 1) {
                return self::PRICE;
            }
        }
        $digits = count(array_filter($chars, static fn (string $c): bool => preg_match('/^\p{Nd}$/u', $c) === 1));
        $phone = "/^(?:tel:)?\\+?[$d$ws().\\-\\/]+(?:[$ws]*(?:ext\\.?|x)[$ws]*[$d]{1,6})?$/iuD";
        if ($digits >= 6 && $digits <= 20 && preg_match($phone, $shown) === 1) {
            return self::PHONE;
        }
        return self::GENERIC;
    }

    /** Whether attribute `$value` contains `$text` or a near copy of it. */
    public static function leaks(string $text, string $value): bool
    {
        $needle = self::trim(self::normal($text));
        $haystack = self::normal($value);
        if ($needle === '') {
            return false;
        }
        $key = (string) preg_replace('/[^\p{L}\p{N}]+/u', '', $needle);
        if (preg_match_all('/./su', $key) >= self::DISTINCT) {
            return str_contains($haystack, $needle)
                || str_contains((string) preg_replace('/[^\p{L}\p{N}]+/u', '', $haystack), $key);
        }
        if ($key === '') {
            return str_contains($haystack, $needle);
        }
        preg_match_all('/[\p{L}\p{N}]+/u', $haystack, $words);
        $ws = self::WS;
        $parts = preg_split("/[$ws]+/u", $haystack, -1, PREG_SPLIT_NO_EMPTY) ?: [];
        return in_array($key, $words[0], true) || in_array($needle, $parts, true);
    }

    private static function normal(string $text): string
    {
        $visible = self::fold((string) preg_replace('/\p{Cf}/u', '', $text));
        return function_exists('mb_strtolower') ? mb_strtolower($visible, 'UTF-8') : strtolower($visible);
    }

    /** NFKC where PHP has Normalizer; else full-width ASCII folded to ASCII. */
    private static function fold(string $text): string
    {
        if (class_exists(\Normalizer::class)) {
            $normal = \Normalizer::normalize($text, \Normalizer::FORM_KC);
            return is_string($normal) ? $normal : $text;
        }
        return (string) preg_replace_callback(
            '/[\x{FF01}-\x{FF5E}]/u',
            static function (array $m): string {
                $point = ((ord($m[0][0]) & 0x0F) << 12) | ((ord($m[0][1]) & 0x3F) << 6) | (ord($m[0][2]) & 0x3F);
                return chr($point - 0xFEE0);
            },
            $text
        );
    }

    private static function trim(string $text): string
    {
        $ws = self::WS;
        return (string) preg_replace("/^[$ws]+|[$ws]+$/uD", '', $text);
    }
}
