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
 * Escaped markup for `$text`, the same as the Python helper's img_tag: an `<img>` with
 * width, height and a srcset, in a `<picture>` when other screens get other images.
 * alt describes the image (by default a guess from the text's shape: "email address",
 * "phone number", "price", else "protected text") and must not contain the text; attrs
 * adds attributes (not src, srcset, alt, width or height; its class joins css_class,
 * default "glyphveil"); densities (default [1, 2]); narrow (480, or null), dark (true or
 * ['color' => …, 'background' => …]) and compact (true) as in the README.
 *
 * @param array<string, mixed> $options
 */
function imgTag(string $text, string $baseUrl, array $options = []): string
{
    return Minter::imgTag($text, $baseUrl, $options);
}
