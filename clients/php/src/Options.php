<?php

declare(strict_types=1);

namespace Glyphveil;

/**
 * Validated render options: one spelling rule for all of them (docs/tokens.md §4.1),
 * ranges, readable contrast, and the width the service can draw (§3.2).
 */
final class Options
{
    public const FONTS = ['sans', 'serif', 'mono', 'lato'];
    public const NOISE = ['none', 'low', 'medium', 'high'];
    public const NAMES = ['font', 'size', 'color', 'background', 'noise', 'padding', 'lines'];
    public const MIN_CONTRAST = 4.5;
    public const MAX_WIDTH = 16383;
    public const DENSITIES = [1, 2, 3];
    private const DEFAULT_COLOR = [0x22, 0x22, 0x22];
    private const DEFAULT_BACKGROUND = [0xFF, 0xFF, 0xFF];

    /**
     * @param list<int> $color
     * @param list<int>|null $background null when transparent
     */
    private function __construct(
        public readonly string $font,
        public readonly int $size,
        public readonly array $color,
        public readonly ?array $background,
        public readonly string $noise,
        public readonly int $padding,
        public readonly int $lines = 1,
    ) {
    }

    /**
     * These options with some values changed (already parsed: colours as [r, g, b],
     * background null when transparent).
     *
     * @param array<string, mixed> $changes
     */
    public function with(array $changes): self
    {
        $values = [
            'font' => $this->font,
            'size' => $this->size,
            'color' => $this->color,
            'background' => $this->background,
            'noise' => $this->noise,
            'padding' => $this->padding,
            'lines' => $this->lines,
        ];
        foreach ($changes as $name => $value) {
            $values[$name] = $value;
        }
        return new self(...$values);
    }

    /**
     * Options from what a site passes (each optional; null is left out).
     *
     * @param array<string, mixed> $values
     */
    public static function parse(array $values): self
    {
        foreach (array_keys($values) as $name) {
            if (!in_array($name, self::NAMES, true)) {
                throw new OptionError(sprintf(
                    'unknown option %s: options are %s',
                    self::show($name),
                    implode(', ', self::NAMES)
                ));
            }
        }
        $background = self::DEFAULT_BACKGROUND;
        if (isset($values['background'])) {
            $background = self::keyword($values['background']) === 'transparent'
                ? null
                : self::opaque('background', $values['background']);
        }
        $options = new self(
            isset($values['font']) ? self::named('font', $values['font'], self::FONTS) : 'sans',
            isset($values['size']) ? self::measure('size', $values['size'], 8, 128) : 16,
            isset($values['color']) ? self::opaque('color', $values['color']) : self::DEFAULT_COLOR,
            $background,
            isset($values['noise']) ? self::named('noise', $values['noise'], self::NOISE) : 'medium',
            isset($values['padding']) ? self::measure('padding', $values['padding'], 0, 64) : 4,
            isset($values['lines']) ? self::lineCount($values['lines']) : 1,
        );
        if ($background !== null) {
            $ratio = self::contrastRatio($options->color, $background);
            if ($ratio < self::MIN_CONTRAST) {
                throw new OptionError(sprintf(
                    'colour %s on %s has contrast %.2f:1, below the %s:1 that keeps text readable',
                    self::hex($options->color),
                    self::hex($background),
                    $ratio,
                    self::MIN_CONTRAST
                ));
            }
        }
        return $options;
    }

    /** 1 or 2 (docs/tokens.md §11). */
    private static function lineCount(mixed $value): int
    {
        if ($value !== 1 && $value !== 2) {
            throw new OptionError(sprintf('bad lines %s: use 1 or 2', self::show($value)));
        }
        return $value;
    }

    /** `flags || option fields` for the options that differ from the defaults (§3.1). */
    public function pack(): string
    {
        $flags = 0;
        $fields = '';
        if ($this->font !== 'sans') {
            $flags |= 0x01;
            $fields .= chr((int) array_search($this->font, self::FONTS, true));
        }
        if ($this->size !== 16) {
            $flags |= 0x02;
            $fields .= chr($this->size);
        }
        if ($this->color !== self::DEFAULT_COLOR) {
            $flags |= 0x04;
            $fields .= pack('C3', ...$this->color);
        }
        if ($this->background === null) {
            $flags |= 0x10;
        } elseif ($this->background !== self::DEFAULT_BACKGROUND) {
            $flags |= 0x08;
            $fields .= pack('C3', ...$this->background);
        }
        if ($this->noise !== 'medium') {
            $flags |= 0x20;
            $fields .= chr((int) array_search($this->noise, self::NOISE, true));
        }
        if ($this->padding !== 4) {
            $flags |= 0x40;
            $fields .= chr($this->padding);
        }
        return chr($flags) . $fields;
    }

    /** The most characters (code points) sure to fit in MAX_WIDTH at a density. */
    public function maxChars(int $density = 1): int
    {
        $room = self::MAX_WIDTH / $density - 2 * ($this->padding + $this->size);
        return max(0, (int) floor($room / ($this->size * 1.25)));
    }

    /** A named value in its canonical spelling, or '' (which no name is). */
    public static function keyword(mixed $value): string
    {
        if (!is_string($value) || preg_match('/^[\x00-\x7f]*$/D', $value) !== 1) {
            return '';
        }
        return strtolower(trim($value, Key::ASCII_WHITESPACE));
    }

    /**
     * [r, g, b, a] for a colour string, or null when it is not one.
     *
     * @return list<int>|null
     */
    public static function parseColor(mixed $value): ?array
    {
        $text = self::keyword($value);
        if ($text === 'transparent') {
            return [0, 0, 0, 0];
        }
        if (isset(CssColors::NAMES[$text])) {
            $rgb = CssColors::NAMES[$text];
            return [$rgb >> 16, ($rgb >> 8) & 0xFF, $rgb & 0xFF, 255];
        }
        $digits = str_starts_with($text, '#') ? substr($text, 1) : $text;
        if (preg_match('/^[0-9a-f]+$/D', $digits) !== 1 || !in_array(strlen($digits), [3, 4, 6, 8], true)) {
            return null;
        }
        if (strlen($digits) <= 4) {
            $digits = implode('', array_map(static fn (string $d): string => $d . $d, str_split($digits)));
        }
        if (strlen($digits) === 6) {
            $digits .= 'ff';
        }
        return array_map('hexdec', str_split($digits, 2));
    }

    /**
     * WCAG 2 contrast ratio of two opaque colours, 1 to 21.
     *
     * @param list<int> $first
     * @param list<int> $second
     */
    public static function contrastRatio(array $first, array $second): float
    {
        $l1 = self::luminance($first);
        $l2 = self::luminance($second);
        return (max($l1, $l2) + 0.05) / (min($l1, $l2) + 0.05);
    }

    /** @param list<int> $rgb */
    private static function luminance(array $rgb): float
    {
        $linear = array_map(static function (int $v): float {
            $c = $v / 255;
            return $c <= 0.04045 ? $c / 12.92 : (($c + 0.055) / 1.055) ** 2.4;
        }, $rgb);
        return 0.2126 * $linear[0] + 0.7152 * $linear[1] + 0.0722 * $linear[2];
    }

    /** @param list<int> $rgb */
    private static function hex(array $rgb): string
    {
        return vsprintf('#%02x%02x%02x', $rgb);
    }

    /** @return list<int> */
    private static function opaque(string $name, mixed $value): array
    {
        $parsed = self::parseColor($value);
        if ($parsed === null) {
            throw new OptionError(sprintf(
                'bad %s %s: use hex of 3, 4, 6 or 8 digits or a CSS name%s',
                $name,
                self::show($value),
                $name === 'background' ? ', or transparent' : ''
            ));
        }
        if (self::keyword($value) === 'transparent') {
            throw new OptionError(sprintf('bad %s %s: only the background can be transparent', $name, self::show($value)));
        }
        if ($parsed[3] !== 255) {
            throw new OptionError(sprintf('bad %s %s: must be opaque', $name, self::show($value)));
        }
        return array_slice($parsed, 0, 3);
    }

    /** @param list<string> $names */
    private static function named(string $name, mixed $value, array $names): string
    {
        $spelled = self::keyword($value);
        if (!in_array($spelled, $names, true)) {
            throw new OptionError(sprintf(
                '%s %s %s: use one of %s',
                $name === 'font' ? 'unknown' : 'bad',
                $name,
                self::show($value),
                implode(', ', $names)
            ));
        }
        return $spelled;
    }

    private static function measure(string $name, mixed $value, int $lo, int $hi): int
    {
        if (!is_int($value) || $value < $lo || $value > $hi) {
            throw new OptionError(sprintf(
                'bad %s %s: use a whole number of px from %d to %d',
                $name,
                self::show($value),
                $lo,
                $hi
            ));
        }
        return $value;
    }

    /** A value for an error message, cut short. */
    public static function show(mixed $value): string
    {
        return match (true) {
            is_string($value) => json_encode(substr($value, 0, 32), JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE) ?: '""',
            is_bool($value) => $value ? 'true' : 'false',
            is_int($value), is_float($value) => var_export($value, true),
            default => get_debug_type($value),
        };
    }
}
