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

    /** @param array<string, mixed> $options */
    public static function encode(mixed $text, array $options = []): string
    {
        [$render, $mint] = self::split($options, self::MINT_ARGUMENTS);
        $data = Text::check($text);
        $parsed = Options::parse($render);
        $key = Key::minting($mint['key'] ?? null);
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
        if (array_key_exists('ttl', $mint) && $mint['ttl'] !== null) {
            $expiry = self::expiryOf($mint['ttl'], $mint['now'] ?? null);
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
        $revealable = $mint['revealable'] ?? false;
        if (!is_bool($revealable)) {
            throw new OptionError('revealable must be true or false, not ' . Options::show($revealable));
        }
        $plain = $fields . chr($n - 1) . $data . str_repeat("\0", $bucket - $n)
            . ($revealable ? "\x01" : ''); // the extensions byte, docs/tokens.md §9
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

    /** @param array<string, mixed> $options */
    public static function imgTag(mixed $text, mixed $baseUrl, array $options = []): string
    {
        $text = self::trimmed($text);
        $alt = array_key_exists('alt', $options) ? $options['alt'] : 'protected text';
        $attrs = $options['attrs'] ?? [];
        if (!is_string($alt) || trim($alt) === '') {
            throw new OptionError('alt must be a non-empty string that describes the image');
        }
        if (!is_array($attrs)) {
            throw new OptionError('attrs must be an array, not ' . get_debug_type($attrs));
        }
        foreach ($attrs as $name => $value) {
            $name = (string) $name;
            if (preg_match('/^[A-Za-z_:][-A-Za-z0-9_:.]*$/D', $name) !== 1
                || in_array(strtolower($name), ['src', 'srcset', 'alt'], true)) {
                throw new OptionError(sprintf('bad attribute name %s: src, srcset and alt are set here', Options::show($name)));
            }
            if (!is_string($value)) {
                throw new OptionError("attribute $name must be a string, not " . get_debug_type($value));
            }
        }
        [$base, $format, , $render] = self::tokenUrl($text, $baseUrl, $options, ['alt', 'attrs']);
        $needle = self::comparable((string) $text);
        if ($needle !== '' && str_contains(self::comparable($alt), $needle)) {
            throw new OptionError('alt text must not contain the protected text; describe it instead');
        }
        foreach ($attrs as $value) {
            if ($needle !== '' && str_contains(self::comparable($value), $needle)) {
                throw new OptionError('attributes must not contain the protected text');
            }
        }
        $attributes = ['src' => "$base.$format"];
        if (Text::length((string) $text) <= Options::parse($render)->maxChars(2)) {
            $attributes['srcset'] = "$base@2x.$format 2x";
        }
        $attributes += ['alt' => $alt, 'loading' => 'lazy', 'decoding' => 'async'];
        foreach ($attrs as $name => $value) {
            $attributes[(string) $name] = $value;
        }
        $rendered = [];
        foreach ($attributes as $name => $value) {
            $rendered[] = sprintf('%s="%s"', $name, self::escape($value));
        }
        return '<img ' . implode(' ', $rendered) . '>';
    }

    /** `&`, `<`, `>`, `"` and `'` as character references. */
    public static function escape(string $value): string
    {
        return htmlspecialchars($value, ENT_QUOTES | ENT_HTML5 | ENT_SUBSTITUTE, 'UTF-8');
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
