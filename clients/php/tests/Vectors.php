<?php

declare(strict_types=1);

namespace Glyphveil\Tests;

/** docs/vectors.json, the machine-readable copy of docs/tokens.md's blocks. */
final class Vectors
{
    /** @var array<string, mixed>|null */
    private static ?array $data = null;

    /** @return array<string, mixed> */
    public static function all(): array
    {
        if (self::$data === null) {
            $path = getenv('GLYPHVEIL_VECTORS') ?: __DIR__ . '/../../../docs/vectors.json';
            self::$data = json_decode((string) file_get_contents($path), true, 512, JSON_THROW_ON_ERROR);
        }
        return self::$data;
    }

    public static function firstKey(): string
    {
        return self::all()['vectors'][0]['key'];
    }

    /**
     * The text of a minting case. Code points are written as UTF-8 bytes one by one, so a
     * lone surrogate becomes the invalid bytes a PHP string would carry (ED A0 80).
     *
     * @param array<string, mixed> $case
     */
    public static function caseText(array $case): string
    {
        if (isset($case['text_code_points'])) {
            return implode('', array_map([self::class, 'utf8'], $case['text_code_points']));
        }
        if (isset($case['text_repeat'])) {
            return str_repeat($case['text_repeat'][0], $case['text_repeat'][1]);
        }
        return $case['text'];
    }

    private static function utf8(int $point): string
    {
        if ($point < 0x80) {
            return chr($point);
        }
        if ($point < 0x800) {
            return chr(0xC0 | $point >> 6) . chr(0x80 | $point & 0x3F);
        }
        if ($point < 0x10000) {
            return chr(0xE0 | $point >> 12) . chr(0x80 | $point >> 6 & 0x3F) . chr(0x80 | $point & 0x3F);
        }
        return chr(0xF0 | $point >> 18) . chr(0x80 | $point >> 12 & 0x3F)
            . chr(0x80 | $point >> 6 & 0x3F) . chr(0x80 | $point & 0x3F);
    }
}
