<?php

declare(strict_types=1);

namespace Glyphveil;

/** Minting a token (docs/tokens.md §4) and the markup around it. */
final class Minter
{
    private const BUCKETS = [32, 64, 128, 256];
    private const EXPIRY_MAX = 4294967295;
    private const MINT_ARGUMENTS = ['key', 'ttl', 'now', 'revealable'];
    private const FORMATS = ['png', 'webp'];
    private const IMG_SETTINGS = ['alt', 'attrs', 'css_class', 'densities', 'format', 'narrow', 'dark', 'compact'];
    /** The viewport width (CSS px) at and below which the two-line image is offered. */
    public const NARROW = 480;
    /** An image wider than this (CSS px) gets a two-line source, when its text can break. */
    public const NARROW_FIT = 288;
    /** The colours of `dark => true`: light text on a transparent background. */
    public const DEFAULT_DARK = ['color' => '#e6e6e6', 'background' => 'transparent'];
    public const DEFAULT_CLASS = 'glyphveil';
    public const COMPACT_CLASS = 'glyphveil-compact';

    /** @param array<string, mixed> $options */
    public static function encode(mixed $text, array $options = []): string
    {
        [$render, $mint] = self::split($options, self::MINT_ARGUMENTS);
        $data = Text::check($text);
        $parsed = Options::parse($render);
        $key = Key::minting($mint['key'] ?? null);
        $expiry = null;
        if (array_key_exists('ttl', $mint) && $mint['ttl'] !== null) {
            $expiry = self::expiryOf($mint['ttl'], $mint['now'] ?? null);
        }
        return self::seal($data, $parsed, $key, $expiry, $mint['revealable'] ?? false);
    }

    /**
     * A token for checked text (`$data`) with parsed options, a minting key, an expiry
     * (Unix seconds, or null) and the revealable mark: §4's steps after the checks.
     */
    public static function seal(string $data, Options $parsed, Key $key, ?int $expiry, mixed $revealable = false): string
    {
        $chars = Text::length($data);
        if ($chars > $parsed->maxChars()) {
            throw new OptionError(sprintf(
                'text of %d characters at size %d could be wider than the %d px the service '
                . 'draws: use a smaller size or a shorter text',
                $chars,
                $parsed->size,
                Options::MAX_WIDTH
            ));
        }
        $fields = $parsed->pack();
        if ($expiry !== null) {
            $fields = chr(ord($fields[0]) | 0x80) . substr($fields, 1) . pack('N', $expiry);
        }
        $n = strlen($data);
        $bucket = 256;
        foreach (self::BUCKETS as $size) {
            if ($n <= $size) {
                $bucket = $size;
                break;
            }
        }
        if (!is_bool($revealable)) {
            throw new OptionError('revealable must be true or false, not ' . Options::show($revealable));
        }
        // The extensions byte (§9, §11): revealable is bit 0, two lines bit 1; absent when 0.
        $extensions = ($revealable ? 0x01 : 0) | ($parsed->lines === 2 ? 0x02 : 0);
        $plain = $fields . chr($n - 1) . $data . str_repeat("\0", $bucket - $n)
            . ($extensions ? chr($extensions) : '');
        return Key::b64($key->header . $key->siv->encrypt($plain));
    }

    /** `ceil(now + ttl)`, the sum in doubles (§4.2); `now` defaults to the clock. */
    public static function expiryOf(mixed $ttl, mixed $now = null): int
    {
        $span = self::seconds('ttl', $ttl);
        if (!($span > 0)) {
            throw new OptionError(sprintf('bad ttl %s: use a positive number of seconds', Options::show($ttl)));
        }
        $start = $now === null ? microtime(true) : self::seconds('now', $now);
        $expiry = ceil($start + $span);
        if (!($expiry >= 1 && $expiry <= self::EXPIRY_MAX)) {
            throw new OptionError(sprintf(
                'bad ttl %s: the expiry must fall between 1970 and 2106-02-07T06:28:15Z',
                Options::show($ttl)
            ));
        }
        return (int) $expiry;
    }

    /**
     * `$text` without surrounding whitespace (Python's `str.strip` set): the helpers drop
     * a trailing newline from a database field; `encode` keeps the text exactly.
     */
    private static function trimmed(mixed $text): mixed
    {
        $space = '\t\n\v\f\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}'
            . '\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}';
        if (!is_string($text) || preg_match('//u', $text) !== 1) {
            return $text; // not text, or not UTF-8: encode says which
        }
        return preg_replace("/^[$space]+|[$space]+\$/Du", '', $text);
    }

    /** @param array<string, mixed> $options */
    public static function imageUrl(mixed $text, mixed $baseUrl, array $options = []): string
    {
        [$base, $format, $density] = self::tokenUrl(self::trimmed($text), $baseUrl, $options, []);
        return $base . ($density === 1 ? '' : "@{$density}x") . ".$format";
    }

    /**
     * Escaped markup for `$text`: an `<img>` with width and height, in a `<picture>` when
     * other screens get other images; the markup the Python helper's img_tag writes.
     *
     * @param array<string, mixed> $options
     */
    public static function imgTag(mixed $text, mixed $baseUrl, array $options = []): string
    {
        $text = self::trimmed($text);
        [$render, $settings] = self::split($options, [...self::MINT_ARGUMENTS, ...self::IMG_SETTINGS]);
        $alt = array_key_exists('alt', $settings) ? $settings['alt'] : Alt::describe(is_string($text) ? $text : '');
        $attrs = $settings['attrs'] ?? [];
        if (!is_string($alt) || trim($alt) === '') {
            throw new OptionError('alt must be a non-empty string that describes the image');
        }
        if (!is_array($attrs)) {
            throw new OptionError('attrs must be an array, not ' . get_debug_type($attrs));
        }
        foreach ($attrs as $name => $value) {
            $name = (string) $name;
            if (preg_match('/^[A-Za-z_:][-A-Za-z0-9_:.]*$/D', $name) !== 1
                || in_array(strtolower($name), ['src', 'srcset', 'alt', 'width', 'height'], true)) {
                throw new OptionError(sprintf(
                    'bad attribute name %s: src, srcset, alt, width and height are set here',
                    Options::show($name)
                ));
            }
            if (!is_string($value)) {
                throw new OptionError("attribute $name must be a string, not " . get_debug_type($value));
            }
        }
        if (!is_string($baseUrl)) {
            throw new OptionError('baseUrl must be a string, not ' . get_debug_type($baseUrl));
        }
        $format = $settings['format'] ?? 'png';
        if (!in_array($format, self::FORMATS, true)) {
            throw new OptionError(sprintf('bad format %s: use png or webp', Options::show($format)));
        }
        $cssClass = array_key_exists('css_class', $settings) ? $settings['css_class'] : self::DEFAULT_CLASS;
        if ($cssClass !== null && !is_string($cssClass)) {
            throw new OptionError('css_class must be a string or null, not ' . get_debug_type($cssClass));
        }
        $compact = $settings['compact'] ?? false;
        if (!is_bool($compact)) {
            throw new OptionError('compact must be true or false, not ' . Options::show($compact));
        }
        $narrow = array_key_exists('narrow', $settings) ? $settings['narrow'] : self::NARROW;
        if ($narrow !== null && !(is_int($narrow) && $narrow >= 1 && $narrow <= 10000)) {
            throw new OptionError(sprintf(
                'bad narrow %s: use a viewport width in CSS px such as 480, or null',
                Options::show($narrow)
            ));
        }
        $offered = self::densities($settings['densities'] ?? [1, 2]);
        $data = Text::check($text);
        // As the Python helper tells (leaks), and also with every invisible character
        // dropped (for a text long enough not to be any word's part).
        $needle = self::comparable($data);
        $distinct = Text::length($needle) >= 3;
        $holds = static fn (string $value): bool => Alt::leaks($data, $value)
            || ($distinct && str_contains(self::comparable($value), $needle));
        if ($holds($alt)) {
            throw new OptionError('alt text must not contain the protected text; describe it instead');
        }
        foreach ($attrs as $value) {
            if ($holds($value)) {
                throw new OptionError('attributes must not contain the protected text');
            }
        }
        $parsed = Options::parse($render);
        $classes = $cssClass ? [$cssClass] : [];
        if ($compact) {
            $parsed = $parsed->with(['noise' => $parsed->noise === 'none' ? 'none' : 'low', 'padding' => 0, 'lines' => 1]);
            $classes[] = self::COMPACT_CLASS;
        }
        $extra = [];
        foreach ($attrs as $name => $value) {
            $name = (string) $name;
            $extra[strtolower($name) === 'class' ? 'class' : $name] = $value;
        }
        if (array_key_exists('class', $extra)) {
            $classes[] = $extra['class'];
            unset($extra['class']);
        }
        $sources = self::sources($data, $parsed, $compact ? null : $narrow, $settings['dark'] ?? null);
        $key = Key::minting($settings['key'] ?? null);
        $expiry = null;
        if (array_key_exists('ttl', $settings) && $settings['ttl'] !== null) {
            $expiry = self::expiryOf($settings['ttl'], $settings['now'] ?? null);
        }
        $base = rtrim($baseUrl, '/') . '/t/';
        $url = static fn (string $token, int $density): string
            => $base . $token . ($density === 1 ? '' : "@{$density}x") . ".$format";
        $srcset = static function (string $token, array $box, bool $plain) use ($offered, $url): string {
            $items = [];
            foreach ($offered as $density) {
                if (($density > 1 || !$plain) && Sizes::fits($box, $density)) {
                    $items[] = $url($token, $density) . " {$density}x";
                }
            }
            return implode(', ', $items);
        };
        $box = self::checkedBox($data, $parsed);
        $token = self::seal($data, $parsed, $key, $expiry, $settings['revealable'] ?? false);
        $attributes = ['src' => $url($token, 1)];
        $sharper = $srcset($token, $box, true);
        if ($sharper !== '') {
            $attributes['srcset'] = $sharper;
        }
        $attributes += ['width' => (string) $box[0], 'height' => (string) $box[1], 'alt' => $alt];
        if ($classes) {
            $attributes['class'] = implode(' ', $classes);
        }
        $attributes += ['loading' => 'lazy', 'decoding' => 'async'];
        foreach ($extra as $name => $value) {
            $attributes[$name] = $value;
        }
        $img = '<img ' . self::attributes($attributes) . '>';
        if (!$sources) {
            return $img;
        }
        $tags = '';
        foreach ($sources as [$media, $variant]) {
            $variantBox = self::checkedBox($data, $variant);
            $variantToken = self::seal($data, $variant, $key, $expiry);
            $tags .= '<source ' . self::attributes(['media' => $media, 'srcset' => $srcset($variantToken, $variantBox, false)])
                . sprintf(' width="%d" height="%d">', $variantBox[0], $variantBox[1]);
        }
        return "<picture>$tags$img</picture>";
    }

    /**
     * [media query, options] of each <source>, in the order the browser tries them.
     *
     * @return list<array{0: string, 1: Options}>
     */
    private static function sources(string $text, Options $parsed, ?int $narrow, mixed $dark): array
    {
        $darkParsed = self::dark($dark, $parsed);
        $twoLines = null;
        if ($narrow !== null && $parsed->lines === 1) {
            $one = Sizes::textBox($text, $parsed);
            $candidate = $parsed->with(['lines' => 2]);
            if ($one[0] > self::NARROW_FIT && Sizes::textBox($text, $candidate)[0] < $one[0]) {
                $twoLines = $candidate;
            }
        }
        $narrowMedia = "(max-width: {$narrow}px)";
        $darkMedia = '(prefers-color-scheme: dark)';
        $sources = [];
        if ($twoLines !== null && $darkParsed !== null) {
            $sources[] = ["$narrowMedia and $darkMedia", $darkParsed->with(['lines' => 2])];
        }
        if ($twoLines !== null) {
            $sources[] = [$narrowMedia, $twoLines];
        }
        if ($darkParsed !== null) {
            $sources[] = [$darkMedia, $darkParsed];
        }
        return $sources;
    }

    private static function dark(mixed $dark, Options $parsed): ?Options
    {
        if ($dark === null || $dark === false) {
            return null;
        }
        $chosen = $dark === true ? self::DEFAULT_DARK : $dark;
        if (!is_array($chosen)) {
            throw new OptionError('dark must be true, null or an array of colours, not ' . get_debug_type($dark));
        }
        $unknown = array_diff(array_map('strval', array_keys($chosen)), ['color', 'background']);
        if ($unknown) {
            sort($unknown);
            throw new OptionError('dark takes color and background, not ' . Options::show($unknown[0]));
        }
        $colours = Options::parse($chosen + self::DEFAULT_DARK);
        return $parsed->with(['color' => $colours->color, 'background' => $colours->background]);
    }

    /** @return array{0: int, 1: int} */
    private static function checkedBox(string $text, Options $parsed): array
    {
        $box = Sizes::textBox($text, $parsed);
        if (!Sizes::fits($box, 1)) {
            throw new OptionError(sprintf(
                'the text at size %d makes an image wider than the %d px the service draws: '
                . 'use a smaller size or a shorter text',
                $parsed->size,
                Options::MAX_WIDTH
            ));
        }
        return $box;
    }

    /** @return list<int> */
    private static function densities(mixed $densities): array
    {
        if (!is_array($densities) || $densities === []) {
            throw new OptionError('bad densities: use a list such as [1, 2]');
        }
        foreach ($densities as $density) {
            if (!in_array($density, Options::DENSITIES, true)) {
                throw new OptionError('bad densities: use some of 1, 2, 3');
            }
        }
        if (!in_array(1, $densities, true)) {
            throw new OptionError('bad densities: 1 must be among them');
        }
        $unique = array_values(array_unique($densities));
        sort($unique);
        return $unique;
    }

    /** @param array<string, string> $attributes */
    private static function attributes(array $attributes): string
    {
        $rendered = [];
        foreach ($attributes as $name => $value) {
            $rendered[] = sprintf('%s="%s"', $name, self::escape($value));
        }
        return implode(' ', $rendered);
    }

    /** `&`, `<`, `>`, `"` and `'` as character references, as Python's html.escape writes them. */
    public static function escape(string $value): string
    {
        return strtr($value, ['&' => '&amp;', '<' => '&lt;', '>' => '&gt;', '"' => '&quot;', "'" => '&#x27;']);
    }

    /**
     * @param array<string, mixed> $options
     * @param list<string> $extra
     * @return array{0: string, 1: string, 2: int, 3: array<string, mixed>}
     */
    private static function tokenUrl(mixed $text, mixed $baseUrl, array $options, array $extra): array
    {
        [$render, $mint] = self::split($options, [...self::MINT_ARGUMENTS, 'format', 'density', ...$extra]);
        if (!is_string($baseUrl)) {
            throw new OptionError('baseUrl must be a string, not ' . get_debug_type($baseUrl));
        }
        $format = $mint['format'] ?? 'png';
        $density = $mint['density'] ?? 1;
        if (!in_array($format, self::FORMATS, true)) {
            throw new OptionError(sprintf('bad format %s: use png or webp', Options::show($format)));
        }
        if (!in_array($density, Options::DENSITIES, true)) {
            throw new OptionError(sprintf('bad density %s: use 1, 2 or 3', Options::show($density)));
        }
        $token = self::encode($text, $render + array_intersect_key($mint, array_flip(self::MINT_ARGUMENTS)));
        return [rtrim($baseUrl, '/') . "/t/$token", $format, $density, $render];
    }

    /**
     * @param array<string, mixed> $options
     * @param list<string> $names
     * @return array{0: array<string, mixed>, 1: array<string, mixed>}
     */
    private static function split(array $options, array $names): array
    {
        $render = [];
        $rest = [];
        foreach ($options as $name => $value) {
            if (in_array($name, $names, true)) {
                $rest[$name] = $value;
            } else {
                $render[$name] = $value;
            }
        }
        return [$render, $rest];
    }

    private static function seconds(string $name, mixed $value): float
    {
        if (!is_int($value) && !is_float($value)) {
            throw new OptionError(sprintf('bad %s %s: use a number of seconds', $name, Options::show($value)));
        }
        if (!is_finite((float) $value)) {
            throw new OptionError(sprintf('bad %s %s: use a finite number of seconds', $name, Options::show($value)));
        }
        return (float) $value;
    }

    /**
     * The text as compared with alt and attributes: without characters that draw nothing,
     * full-width ASCII folded, ASCII lower case.
     */
    private static function comparable(string $value): string
    {
        if (preg_match('//u', $value) !== 1) {
            return strtolower($value);
        }
        $visible = preg_replace(
            '/[\p{Cc}\p{Cf}\p{Z}\x{034F}\x{115F}\x{1160}\x{17B4}\x{17B5}\x{180B}-\x{180F}'
            . '\x{3164}\x{FE00}-\x{FE0F}\x{FFA0}\x{E0000}-\x{E0FFF}]/u',
            '',
            $value
        ) ?? $value;
        $folded = preg_replace_callback(
            '/[\x{FF01}-\x{FF5E}]/u',
            static function (array $m): string {
                $point = ((ord($m[0][0]) & 0x0F) << 12) | ((ord($m[0][1]) & 0x3F) << 6) | (ord($m[0][2]) & 0x3F);
                return chr($point - 0xFEE0);
            },
            $visible
        ) ?? $visible;
        return strtolower($folded);
    }
}
