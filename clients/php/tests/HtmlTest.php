<?php

declare(strict_types=1);

namespace Glyphveil\Tests;

use Glyphveil\Minter;
use Glyphveil\OptionError;
use PHPUnit\Framework\TestCase;

use function Glyphveil\encode;
use function Glyphveil\imageUrl;
use function Glyphveil\imgTag;

final class HtmlTest extends TestCase
{
    private const BASE = 'https://img.example.com';
    private const EMAIL = 'jane@example.com';

    public function testImageUrlPutsTheTokenUnderT(): void
    {
        $key = Vectors::firstKey();
        $token = encode(self::EMAIL, ['key' => $key, 'noise' => 'low']);
        self::assertSame(self::BASE . "/t/$token.png", imageUrl(self::EMAIL, self::BASE . '/', ['key' => $key, 'noise' => 'low']));
        self::assertSame(
            self::BASE . "/t/$token@3x.webp",
            imageUrl(self::EMAIL, self::BASE, ['key' => $key, 'noise' => 'low', 'density' => 3, 'format' => 'webp'])
        );
        self::assertSame("/t/$token.png", imageUrl(self::EMAIL, '', ['key' => $key, 'noise' => 'low']));
    }

    /** @return iterable<string, array{array<string, mixed>, string}> */
    public static function badUrlOptions(): iterable
    {
        yield 'format' => [['format' => 'gif'], 'bad format "gif"'];
        yield 'density' => [['density' => 4], 'bad density 4'];
        yield 'density as a string' => [['density' => '2'], 'bad density "2"'];
        yield 'misspelled' => [['densty' => 2], 'unknown option "densty"'];
    }

    /**
     * @dataProvider badUrlOptions
     * @param array<string, mixed> $options
     */
    public function testImageUrlRefusesBadOptions(array $options, string $message): void
    {
        $this->expectException(OptionError::class);
        $this->expectExceptionMessage($message);
        imageUrl(self::EMAIL, self::BASE, $options + ['key' => Vectors::firstKey()]);
    }

    public function testABaseUrlThatIsNotAStringIsAnOptionError(): void
    {
        $this->expectException(OptionError::class);
        $this->expectExceptionMessage('baseUrl must be a string, not null');
        Minter::imageUrl(self::EMAIL, null, ['key' => Vectors::firstKey()]);
    }

    public function testImgTagWritesEscapedMarkupWithoutTheText(): void
    {
        $key = Vectors::firstKey();
        $html = imgTag(self::EMAIL, self::BASE, [
            'key' => $key,
            'alt' => 'email "address" <b>',
            'attrs' => ['class' => 'contact & more', 'data-x' => "it's"],
        ]);
        $token = encode(self::EMAIL, ['key' => $key]);
        self::assertSame(
            '<img src="' . self::BASE . "/t/$token.png\" srcset=\"" . self::BASE . "/t/$token@2x.png 2x\" "
            . 'width="288" height="70" ' // tokens.sizes.text_box in Python says so
            . 'alt="email &quot;address&quot; &lt;b&gt;" class="glyphveil contact &amp; more" '
            . 'loading="lazy" decoding="async" data-x="it&#x27;s">',
            $html
        );
        self::assertStringNotContainsString(self::EMAIL, $html);
    }

    public function testImgTagLeavesOutTheSrcsetWhenTooWideAt2x(): void
    {
        $key = Vectors::firstKey();
        self::assertStringNotContainsString('srcset', imgTag(str_repeat('W', 90), self::BASE, ['key' => $key, 'size' => 128, 'padding' => 64]));
        self::assertStringContainsString('srcset', imgTag(str_repeat('x', 40), self::BASE, ['key' => $key, 'size' => 128]));
    }

    /** @return iterable<string, array{string}> */
    public static function altsHoldingTheText(): iterable
    {
        yield 'the text' => [self::EMAIL];
        yield 'in upper case' => ['Mail: JANE@EXAMPLE.COM'];
        yield 'with a zero-width space' => ["jane\u{200B}@example.com"];
        yield 'with a soft hyphen' => ["ja\u{00AD}ne@example.com"];
        yield 'in full-width letters' => ["\u{FF4A}\u{FF41}\u{FF4E}\u{FF45}@example.com"];
    }

    /** @dataProvider altsHoldingTheText */
    public function testImgTagRefusesAnAltThatHoldsTheText(string $alt): void
    {
        $this->expectException(OptionError::class);
        $this->expectExceptionMessage('alt text must not contain the protected text');
        imgTag(self::EMAIL, self::BASE, ['key' => Vectors::firstKey(), 'alt' => $alt]);
    }

    public function testImgTagRefusesAttributesThatHoldTheTextOrThatItSets(): void
    {
        $key = Vectors::firstKey();
        $cases = [
            [['attrs' => ['title' => 'write to ' . self::EMAIL]], 'attributes must not contain'],
            [['attrs' => ['SRC' => 'x']], 'bad attribute name'],
            [['attrs' => ['on click' => 'x']], 'bad attribute name'],
            [['attrs' => ['class' => 1]], 'attribute class must be a string'],
            [['alt' => null], 'alt must be a non-empty string'],
            [['alt' => ' '], 'alt must be a non-empty string'],
            [['attrs' => 'class="x"'], 'attrs must be an array'],
        ];
        foreach ($cases as [$options, $message]) {
            try {
                imgTag(self::EMAIL, self::BASE, $options + ['key' => $key]);
                self::fail("accepted, expected: $message");
            } catch (OptionError $error) {
                self::assertStringContainsString($message, $error->getMessage());
            }
        }
    }

    public function testImgTagOffersNarrowScreensTwoLinesInAPicture(): void
    {
        $key = Vectors::firstKey();
        $long = 'alice.martin@example.org';
        $two = encode($long, ['key' => $key, 'lines' => 2]);
        $one = encode($long, ['key' => $key]);
        $base = self::BASE;
        self::assertSame(
            "<picture><source media=\"(max-width: 480px)\" srcset=\"$base/t/$two.png 1x, "
            . "$base/t/$two@2x.png 2x\" width=\"240\" height=\"140\">"
            . "<img src=\"$base/t/$one.png\" srcset=\"$base/t/$one@2x.png 2x\" width=\"384\" "
            . 'height="70" alt="email address" class="glyphveil" loading="lazy" decoding="async">'
            . '</picture>',
            imgTag($long, $base, ['key' => $key, 'alt' => 'email address'])
        );
        self::assertStringStartsWith('<img ', imgTag($long, $base, ['key' => $key, 'alt' => 'e', 'narrow' => null]));
    }

    public function testImgTagAddsDarkSourcesNarrowAndDarkFirst(): void
    {
        $key = Vectors::firstKey();
        $long = 'alice.martin@example.org';
        $html = imgTag($long, self::BASE, ['key' => $key, 'alt' => 'email address', 'dark' => true]);
        preg_match_all('/media="([^"]+)"/', $html, $media);
        self::assertSame([
            '(max-width: 480px) and (prefers-color-scheme: dark)',
            '(max-width: 480px)',
            '(prefers-color-scheme: dark)',
        ], $media[1]);
        $dark = encode($long, ['key' => $key, 'color' => '#e6e6e6', 'background' => 'transparent']);
        self::assertStringContainsString(self::BASE . "/t/$dark.png 1x", $html);
    }

    public function testImgTagDrawsACompactImageForASentence(): void
    {
        $key = Vectors::firstKey();
        $long = 'alice.martin@example.org';
        $html = imgTag($long, self::BASE, ['key' => $key, 'alt' => 'e', 'compact' => true, 'noise' => 'high']);
        $token = encode($long, ['key' => $key, 'noise' => 'low', 'padding' => 0]);
        self::assertStringStartsWith('<img src="' . self::BASE . "/t/$token.png\"", $html);
        self::assertStringContainsString('width="256" height="33"', $html);
        self::assertStringContainsString('class="glyphveil glyphveil-compact"', $html);
    }

    public function testBadPictureSettingsAreRefused(): void
    {
        $key = Vectors::firstKey();
        $cases = [
            [['narrow' => '480'], 'bad narrow'],
            [['compact' => 1], 'compact must be true or false'],
            [['dark' => ['color' => '#333', 'background' => '#222']], 'contrast'],
            [['dark' => ['colour' => '#eee']], 'dark takes color and background'],
            [['lines' => 3], 'bad lines 3: use 1 or 2'],
            [['attrs' => ['Width' => '1']], 'bad attribute name'],
        ];
        foreach ($cases as [$options, $message]) {
            try {
                imgTag('alice.martin@example.org', self::BASE, $options + ['key' => $key, 'alt' => 'e']);
                self::fail("accepted, expected: $message");
            } catch (OptionError $error) {
                self::assertStringContainsString($message, $error->getMessage());
            }
        }
    }

    public function testImgTagGuessesTheAltTextAsThePythonHelperDoes(): void
    {
        $key = Vectors::firstKey();
        $guesses = [
            'jane@example.com' => 'email address',
            '+44 20 7946 0958' => 'phone number',
            '£1,299.00' => 'price',
            '12.99 USD' => 'price',
            'Acme Widgets Ltd' => 'protected text',
        ];
        foreach ($guesses as $text => $alt) {
            self::assertSame($alt, \Glyphveil\Alt::describe((string) $text));
            self::assertStringContainsString("alt=\"$alt\"", imgTag((string) $text, self::BASE, ['key' => $key, 'narrow' => null]));
        }
    }

    public function testImgTagRefusesAnAltThatSpellsTheTextOut(): void
    {
        $key = Vectors::firstKey();
        foreach (['j.a.n.e@example.com', 'JANE @ EXAMPLE . COM'] as $alt) {
            try {
                imgTag(self::EMAIL, self::BASE, ['key' => $key, 'alt' => $alt]);
                self::fail("accepted $alt");
            } catch (OptionError $error) {
                self::assertStringContainsString('alt text must not contain', $error->getMessage());
            }
        }
        self::assertStringContainsString('alt="a price"', imgTag('£5', self::BASE, ['key' => $key, 'alt' => 'a price']));
    }
}
