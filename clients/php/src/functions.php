<?php

/**
 * glyphveil tokens for PHP: keep sensitive strings out of HTML.
 *
 *     echo Glyphveil\imgTag('jane@example.com', 'https://img.example.com', ['alt' => 'email address']);
 *
 * Needs only the openssl and hash extensions. The format is docs/tokens.md.
 */

declare(strict_types=1);

namespace Glyphveil;

/**
 * Encrypt and sign `$text` with its render options into a compact URL-safe token.
 *
 * `$options`: font, size, color, background, noise, padding (docs/tokens.md §4.1);
 * ttl (seconds, positive) and now (Unix seconds, default the clock) for an expiry;
 * key (the key text; default the first of GLYPHVEIL_KEYS); revealable (true lets the
 * service's reveal route give the text to a visitor who asks, §9).
 *
 * @param array<string, mixed> $options
 * @throws OptionError for bad text or options
 * @throws KeyConfigError for a missing or malformed key
 */
function encode(string $text, array $options = []): string
{
    return Minter::encode($text, $options);
}

/**
 * The URL of the image of `$text`: `{$baseUrl}/t/{token}[@2x].png`. Takes what encode
 * takes, plus format (png, webp) and density (1, 2, 3).
 *
 * @param array<string, mixed> $options
 */
function imageUrl(string $text, string $baseUrl, array $options = []): string
{
    return Minter::imageUrl($text, $baseUrl, $options);
}

/**
 * Escaped `<img>` markup for `$text`, with a 2x srcset when the text fits at 2x. alt
 * describes the image (default "protected text") and must not contain the text; attrs
 * adds attributes such as class (not src, srcset or alt).
 *
 * @param array<string, mixed> $options
 */
function imgTag(string $text, string $baseUrl, array $options = []): string
{
    return Minter::imgTag($text, $baseUrl, $options);
}
