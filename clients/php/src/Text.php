<?php

declare(strict_types=1);

namespace Glyphveil;

/** The text a token may carry (docs/tokens.md §3.3). */
final class Text
{
    public const MAX_BYTES = 256;

    /**
     * Code points a text must not hold, as inclusive ranges, with what they are. The
     * surrogates U+D800-U+DFFF are refused too: their bytes are not valid UTF-8.
     */
    public const REFUSED_RANGES = [
        [0x0000, 0x001F, 'a control character'],
        [0x007F, 0x009F, 'a control character'],
        [0x061C, 0x061C, 'a bidirectional formatting character'],
        [0x200E, 0x200F, 'a bidirectional formatting character'],
        [0x2028, 0x2029, 'a line or paragraph separator'],
        [0x202A, 0x202E, 'a bidirectional formatting character'],
        [0x2066, 0x2069, 'a bidirectional formatting character'],
        [0x206A, 0x206F, 'a deprecated format character'],
        [0xFDD0, 0xFDEF, 'a noncharacter'],
        [0xFEFF, 0xFEFF, 'a byte order mark'],
        [0xFFF9, 0xFFFB, 'an interlinear annotation character'],
    ];

    private static ?string $pattern = null;

    /** Throws OptionError unless the text may be minted; returns it unchanged. */
    public static function check(mixed $text): string
    {
        if (!is_string($text)) {
            throw new OptionError('text must be a string, not ' . get_debug_type($text));
        }
        if (preg_match('//u', $text) !== 1) {
            throw new OptionError(
                'text is not valid UTF-8 (a lone surrogate or a broken byte sequence): '
                . 'refused rather than replaced'
            );
        }
        if (preg_match(self::pattern(), $text, $match, PREG_OFFSET_CAPTURE) === 1) {
            [$char, $offset] = $match[0];
            throw new OptionError(sprintf(
                "text holds %s at character %d: a token's text is one line of printable characters",
                self::describe(self::codePoint($char)),
                self::length(substr($text, 0, $offset))
            ));
        }
        $n = strlen($text);
        if ($n < 1 || $n > self::MAX_BYTES) {
            throw new OptionError(sprintf('text must be 1 to %d UTF-8 bytes, not %d', self::MAX_BYTES, $n));
        }
        return $text;
    }

    /** The number of code points of valid UTF-8 text (what the width rule counts). */
    public static function length(string $text): int
    {
        return (int) preg_match_all('/./su', $text);
    }

    private static function pattern(): string
    {
        if (self::$pattern === null) {
            $ranges = '';
            foreach (self::REFUSED_RANGES as [$lo, $hi]) {
                $ranges .= sprintf('\x{%x}-\x{%x}', $lo, $hi);
            }
            for ($plane = 0; $plane <= 0x10; $plane++) {
                $ranges .= sprintf('\x{%x}-\x{%x}', $plane * 0x10000 + 0xFFFE, $plane * 0x10000 + 0xFFFF);
            }
            self::$pattern = '/[' . $ranges . ']/u';
        }
        return self::$pattern;
    }

    private static function codePoint(string $char): int
    {
        $bytes = array_values(unpack('C*', $char));
        $n = count($bytes);
        $point = $n === 1 ? $bytes[0] : $bytes[0] & (0xFF >> ($n + 1));
        for ($i = 1; $i < $n; $i++) {
            $point = ($point << 6) | ($bytes[$i] & 0x3F);
        }
        return $point;
    }

    private static function describe(int $point): string
    {
        $what = 'a noncharacter';
        foreach (self::REFUSED_RANGES as [$lo, $hi, $name]) {
            if ($lo <= $point && $point <= $hi) {
                $what = $name;
            }
        }
        return sprintf('U+%04X, %s', $point, $what);
    }
}
