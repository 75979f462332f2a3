<?php

declare(strict_types=1);

namespace Glyphveil;

/**
 * Image sizes from font metrics, as the service draws them (tokens/sizes.py, whose rules
 * this mirrors exactly): the box of a line, widths rounded up to buckets, and the two
 * lines of a token minted with `lines` 2 (docs/tokens.md §11).
 *
 * font_metrics.json is a copy of the Python package's tokens/font_metrics.json; the
 * project's tests check that the copy, and NOISE_ROOM below, are the same.
 */
final class Sizes
{
    /** Room each noise level takes, in em: [slack, tracking, minimum drawn size]. */
    public const NOISE_ROOM = [
        'none' => [0.0, 0.0, 0],
        'low' => [0.42, 0.03, 16],
        'medium' => [0.7, -0.04, 24],
        'high' => [0.77, -0.05, 24],
    ];
    /** Widths round up to a multiple of this many em of the drawn size. */
    public const BUCKET_EM = 2;
    /** The service's default limit on an image's area in device px. */
    public const MAX_PIXELS = 16000000;
    /** Separators a line may break after, unless between two digits (§11). */
    public const BREAK_AFTER = ['-', '/', '.', '_', ',', '·'];
    private const MISSING = 0x25A1;
    private const GRID = 1 / 64;

    /** @var array{families: array<string, array<string, mixed>>, fallbacks: list<array<string, mixed>>}|null */
    private static ?array $table = null;

    /** The font size in CSS px the service draws at: the size, raised to the level's minimum. */
    public static function drawnSize(Options $options): int
    {
        return max($options->size, self::NOISE_ROOM[$options->noise][2]);
    }

    /** `$width` rounded up to a multiple of BUCKET_EM em of the drawn size. */
    public static function bucketWidth(int $width, Options $options): int
    {
        $step = self::BUCKET_EM * self::drawnSize($options);
        return intdiv($width + $step - 1, $step) * $step;
    }

    /**
     * The lines a token with `lines` 2 draws (§11): two, or one where there is no break.
     *
     * @return list<string>
     */
    public static function breakLines(string $text): array
    {
        $chars = self::chars($text);
        $count = count($chars);
        $at = -1;
        foreach ($chars as $index => $char) {
            if ($char === '@') {
                $at = $index;
            }
        }
        if ($at > 0 && $at < $count - 1) {
            return [implode('', array_slice($chars, 0, $at + 1)), implode('', array_slice($chars, $at + 1))];
        }
        $best = null;
        foreach ($chars as $index => $char) {
            if ($char === ' ') {
                $lines = [array_slice($chars, 0, $index), array_slice($chars, $index + 1)];
            } elseif (in_array($char, self::BREAK_AFTER, true) && !(
                $index > 0 && $index < $count - 1
                && preg_match('/^\p{Nd}$/u', $chars[$index - 1]) === 1
                && preg_match('/^\p{Nd}$/u', $chars[$index + 1]) === 1
            )) {
                $lines = [array_slice($chars, 0, $index + 1), array_slice($chars, $index + 1)];
            } else {
                continue;
            }
            if (!self::hasNonSpace($lines[0]) || !self::hasNonSpace($lines[1])) {
                continue;
            }
            $longer = max(count($lines[0]), count($lines[1]));
            if ($best === null || $longer < max(count($best[0]), count($best[1]))) {
                $best = $lines;
            }
        }
        return $best === null ? [$text] : [implode('', $best[0]), implode('', $best[1])];
    }

    /**
     * The image's size in CSS px, [width, height], for `$text` with parsed options: what
     * the service draws, times the density in device px.
     *
     * @return array{0: int, 1: int}
     */
    public static function textBox(string $text, Options $options): array
    {
        $lines = $options->lines === 2 ? self::breakLines($text) : [$text];
        $width = 0;
        $height = 0;
        foreach ($lines as $line) {
            [$lineWidth, $lineHeight] = self::lineBox($line, $options);
            $width = max($width, $lineWidth);
            $height += $lineHeight;
        }
        return [self::bucketWidth($width, $options), $height];
    }

    /**
     * Whether the service draws a box at `$density` (each side and the area within limits).
     *
     * @param array{0: int, 1: int} $box
     */
    public static function fits(array $box, int $density, int $maxPixels = self::MAX_PIXELS): bool
    {
        $width = $box[0] * $density;
        $height = $box[1] * $density;
        return $width <= Options::MAX_WIDTH && $height <= Options::MAX_WIDTH && $width * $height <= $maxPixels;
    }

    /** @return array{0: int, 1: int} */
    private static function lineBox(string $text, Options $options): array
    {
        $table = self::table();
        $family = $table['families'][$options->font];
        $sans = $table['families']['sans'];
        $candidates = [$family, $sans, ...$table['fallbacks']];
        $used = [$family['name'] => $family];
        $em = 0.0;
        $glyphs = 0;
        $clusters = 0;
        $last = null;
        foreach (self::chars($text) as $char) {
            if (preg_match('/^[\p{Cc}\p{Zl}\p{Zp}]$/u', $char) === 1) {
                continue;
            }
            $code = self::codePoint($char);
            if (preg_match('/^[\p{Mn}\p{Me}\p{Mc}\p{Cf}]$/u', $char) === 1) {
                if ($last === null) {
                    continue;
                }
                $advance = self::advance($last, $code);
                if ($advance === null) {
                    continue;
                }
                $drawn = $last;
            } else {
                $drawn = null;
                $advance = null;
                foreach ($candidates as $font) {
                    $advance = self::advance($font, $code);
                    if ($advance !== null) {
                        $drawn = $font;
                        break;
                    }
                }
                if ($drawn === null) {
                    $drawn = $sans;
                    $advance = self::advance($sans, self::MISSING) ?? 0;
                }
                $last = $drawn;
                $used[$drawn['name']] = $drawn;
                $clusters += 1;
            }
            $em += $advance / $drawn['units_per_em'];
            $glyphs += 1;
        }
        $size = self::drawnSize($options);
        [$slack, $tracking] = self::NOISE_ROOM[$options->noise];
        $line = $size * ($em + $clusters * $tracking) + $glyphs * self::GRID;
        $edge = $options->padding + (int) ceil($size * $slack);
        $ascent = 0.0;
        $descent = 0.0;
        foreach ($used as $font) {
            $ascent = max($ascent, $size * $font['ascent'] / $font['units_per_em']);
            $descent = max($descent, $size * $font['descent'] / $font['units_per_em']);
        }
        return [
            max(1, (int) ceil($line) + 2 * $edge),
            max(1, (int) ceil($ascent + $descent) + 2 * $edge),
        ];
    }

    /** @param array<string, mixed> $font */
    private static function advance(array $font, int $code): ?int
    {
        /** @var list<int> $starts */
        $starts = $font['starts'];
        $lo = 0;
        $hi = count($starts);
        while ($lo < $hi) {
            $mid = ($lo + $hi) >> 1;
            if ($code < $starts[$mid]) {
                $hi = $mid;
            } else {
                $lo = $mid + 1;
            }
        }
        $index = $lo - 1;
        return $index >= 0 && $code < $font['ends'][$index] ? $font['advances'][$index] : null;
    }

    /** @return array{families: array<string, array<string, mixed>>, fallbacks: list<array<string, mixed>>} */
    private static function table(): array
    {
        if (self::$table === null) {
            $raw = json_decode((string) file_get_contents(__DIR__ . '/font_metrics.json'), true, 512, JSON_THROW_ON_ERROR);
            $fonts = [];
            foreach ($raw['fonts'] as $name => $entry) {
                $starts = [];
                $ends = [];
                $advances = [];
                $end = 0;
                $flat = $entry['advances'];
                for ($i = 0, $n = count($flat); $i < $n; $i += 3) {
                    $starts[] = $end + $flat[$i];
                    $end = $end + $flat[$i] + $flat[$i + 1];
                    $ends[] = $end;
                    $advances[] = $flat[$i + 2];
                }
                $fonts[$name] = [
                    'name' => $name,
                    'units_per_em' => $entry['units_per_em'],
                    'ascent' => $entry['ascent'],
                    'descent' => $entry['descent'],
                    'starts' => $starts,
                    'ends' => $ends,
                    'advances' => $advances,
                ];
            }
            $families = [];
            foreach ($raw['families'] as $family => $name) {
                $families[$family] = $fonts[$name];
            }
            self::$table = [
                'families' => $families,
                'fallbacks' => array_map(static fn (string $name): array => $fonts[$name], $raw['fallbacks']),
            ];
        }
        return self::$table;
    }

    /** @return list<string> */
    private static function chars(string $text): array
    {
        return preg_split('//u', $text, -1, PREG_SPLIT_NO_EMPTY) ?: [];
    }

    /** @param list<string> $chars */
    private static function hasNonSpace(array $chars): bool
    {
        foreach ($chars as $char) {
            if ($char !== ' ') {
                return true;
            }
        }
        return false;
    }

    private static function codePoint(string $char): int
    {
        $first = ord($char[0]);
        if ($first < 0x80) {
            return $first;
        }
        $length = $first >= 0xF0 ? 4 : ($first >= 0xE0 ? 3 : 2);
        $point = $first & (0xFF >> ($length + 1));
        for ($i = 1; $i < $length; $i++) {
            $point = ($point << 6) | (ord($char[$i]) & 0x3F);
        }
        return $point;
    }
}
