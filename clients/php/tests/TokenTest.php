<?php

declare(strict_types=1);

namespace Glyphveil\Tests;

use Glyphveil\Key;
use Glyphveil\KeyConfigError;
use Glyphveil\Minter;
use Glyphveil\OptionError;
use Glyphveil\TokenError;
use PHPUnit\Framework\TestCase;

use function Glyphveil\encode;

final class TokenTest extends TestCase
{
    public function testKeyDerivationExample(): void
    {
        $example = Vectors::all()['key_derivation'];
        $secret = base64_decode(strtr($example['key'], '-_', '+/'), true);
        self::assertSame(range(0, 31), array_values(unpack('C*', $secret)));
        self::assertSame($example['siv_key'], bin2hex(hash_hkdf('sha256', $secret, 64, 'glyphveil/v1/aes-siv')));
        self::assertSame($example['noise_key'], bin2hex(hash_hkdf('sha256', $secret, 32, 'glyphveil/v1/noise')));
        self::assertSame($example['key_id'], bin2hex(Key::parse($example['key'])->keyId));
    }

    /** @return iterable<string, array{array<string, mixed>}> */
    public static function vectors(): iterable
    {
        foreach (Vectors::all()['vectors'] as $i => $vector) {
            yield 'vector ' . ($i + 1) => [$vector];
        }
    }

    /**
     * @dataProvider vectors
     * @param array<string, mixed> $vector
     */
    public function testMintsTheVector(array $vector): void
    {
        $options = $vector['options'] + ['key' => $vector['key']];
        if ($vector['expires'] !== null) {
            self::assertSame($vector['expires'], Minter::expiryOf($vector['ttl'], $vector['now']));
            $options += ['ttl' => $vector['ttl'], 'now' => $vector['now']];
        }
        $token = encode($vector['text'], $options);
        self::assertSame($vector['token'], $token);
        $raw = base64_decode(strtr($token, '-_', '+/'), true);
        self::assertSame($vector['key_id'], bin2hex(substr($raw, 1, 2)));
        self::assertSame(3 + 16 + strlen($vector['plaintext']) / 2, strlen($raw));
    }

    public function testThereAreVectorsInEveryBucket(): void
    {
        $buckets = [];
        foreach (Vectors::all()['vectors'] as $vector) {
            $n = strlen($vector['text']);
            $buckets[$n <= 32 ? 32 : ($n <= 64 ? 64 : ($n <= 128 ? 128 : 256))] = true;
        }
        ksort($buckets);
        self::assertSame([32, 64, 128, 256], array_keys($buckets));
    }

    /** @return iterable<string, array{array<string, mixed>}> */
    public static function revealableVectors(): iterable
    {
        foreach (Vectors::all()['revealable'] as $i => $vector) {
            yield 'revealable vector ' . ($i + 1) => [$vector];
        }
    }

    /**
     * @dataProvider revealableVectors
     * @param array<string, mixed> $vector
     */
    public function testMintsTheRevealableVector(array $vector): void
    {
        $options = $vector['options'] + ['key' => $vector['key'], 'revealable' => $vector['revealable']];
        if ($vector['expires'] !== null) {
            $options += ['ttl' => $vector['ttl'], 'now' => $vector['now']];
        }
        self::assertSame($vector['token'], encode($vector['text'], $options));
    }

    /** @return iterable<string, array{array<string, mixed>}> */
    public static function twoLineVectors(): iterable
    {
        foreach (Vectors::all()['two_lines'] as $i => $vector) {
            yield 'two-line vector ' . ($i + 1) => [$vector];
        }
    }

    /**
     * @dataProvider twoLineVectors
     * @param array<string, mixed> $vector
     */
    public function testMintsTheTwoLineVector(array $vector): void
    {
        $options = $vector['options'] + ['key' => $vector['key'], 'revealable' => $vector['revealable']];
        if ($vector['expires'] !== null) {
            $options += ['ttl' => $vector['ttl'], 'now' => $vector['now']];
        }
        self::assertSame($vector['token'], encode($vector['text'], $options));
        self::assertSame($vector['lines'], \Glyphveil\Sizes::breakLines($vector['text']));
    }

    public function testBreaksTheTextsOfTheBreakCases(): void
    {
        $cases = Vectors::all()['break_cases'];
        self::assertGreaterThanOrEqual(8, count($cases));
        foreach ($cases as $case) {
            self::assertSame($case['lines'], \Glyphveil\Sizes::breakLines($case['text']), $case['text']);
        }
    }

    public function testRevealableMustBeABoolean(): void
    {
        $this->expectException(OptionError::class);
        $this->expectExceptionMessage('revealable must be true or false, not 1');
        encode('a', ['key' => Vectors::firstKey(), 'revealable' => 1]);
    }

    /** @return iterable<string, array{array<string, mixed>}> */
    public static function mintCases(): iterable
    {
        foreach (Vectors::all()['mint_cases'] as $topic => $cases) {
            foreach ($cases as $case) {
                yield "$topic: {$case['why']}" => [$case];
            }
        }
    }

    /**
     * @dataProvider mintCases
     * @param array<string, mixed> $case
     */
    public function testMintingCase(array $case): void
    {
        $options = ($case['options'] ?? []) + ['key' => $case['key'] ?? Vectors::firstKey()];
        if (array_key_exists('ttl', $case)) {
            $options += ['ttl' => $case['ttl'], 'now' => $case['now']];
        }
        $mint = static fn (): string => Minter::encode(Vectors::caseText($case), $options);
        if (isset($case['token'])) {
            self::assertSame($case['token'], $mint());
            if (isset($case['expires'])) {
                self::assertSame($case['expires'], Minter::expiryOf($case['ttl'], $case['now']));
            }
            return;
        }
        try {
            $mint();
            self::fail("minted, but the spec says: error {$case['error']}");
        } catch (KeyConfigError $error) {
            self::assertSame('key', $case['error'], $error->getMessage());
        } catch (OptionError $error) {
            self::assertStringContainsString($case['error'], strtolower($error->getMessage()));
        }
    }

    public function testTakesItsKeyFromTheEnvironment(): void
    {
        $saved = getenv('GLYPHVEIL_KEYS');
        try {
            putenv('GLYPHVEIL_KEYS= ,' . Vectors::firstKey() . ',' . Vectors::all()['vectors'][4]['key']);
            self::assertSame(Vectors::all()['vectors'][0]['token'], encode('alice.martin@example.org'));
            putenv('GLYPHVEIL_KEYS');
            $this->expectException(KeyConfigError::class);
            $this->expectExceptionMessage("no key: pass ['key' => ...] or set GLYPHVEIL_KEYS");
            encode('a');
        } finally {
            putenv($saved === false ? 'GLYPHVEIL_KEYS' : "GLYPHVEIL_KEYS=$saved");
        }
    }

    public function testAMalformedKeyIsNotInTheMessage(): void
    {
        $key = substr(Vectors::firstKey(), 0, 42) . '+';
        try {
            encode('a', ['key' => $key]);
            self::fail('a malformed key was accepted');
        } catch (KeyConfigError $error) {
            self::assertStringNotContainsString(substr($key, 0, 8), $error->getMessage());
        }
        $this->expectException(KeyConfigError::class);
        encode('a', ['key' => 42]);
    }

    public function testRefusesTextThatWouldNotDrawAsMinted(): void
    {
        $this->expectException(OptionError::class);
        $this->expectExceptionMessage('text holds U+202E, a bidirectional formatting character at character 0');
        encode("\u{202E}moc.elpmaxe@enaj", ['key' => Vectors::firstKey()]);
    }

    public function testRefusesInvalidUtf8RatherThanReplacingIt(): void
    {
        foreach (["a\xC3", "\xFF", "a\xED\xA0\x80b", "\xC0\xAF"] as $text) {
            try {
                encode($text, ['key' => Vectors::firstKey()]);
                self::fail('invalid UTF-8 was minted: ' . bin2hex($text));
            } catch (OptionError $error) {
                self::assertStringStartsWith('text is not valid UTF-8', $error->getMessage());
            }
        }
    }

    public function testNamesAMisspelledOptionAndRefusesNoiseAsANumber(): void
    {
        $key = Vectors::firstKey();
        foreach ([['colour' => '#222'], ['noise' => true], ['noise' => 1], ['ttl' => NAN], ['ttl' => INF]] as $options) {
            try {
                encode('a', $options + ['key' => $key]);
                self::fail('accepted ' . json_encode(array_keys($options)));
            } catch (OptionError $error) {
                self::assertStringContainsString((string) array_key_first($options), $error->getMessage());
            }
        }
    }

    public function testNullOptionsTakeTheirDefault(): void
    {
        $vector = Vectors::all()['vectors'][0];
        self::assertSame($vector['token'], encode($vector['text'], ['key' => $vector['key'], 'font' => null]));
    }

    public function testErrorsAreTokenErrors(): void
    {
        self::assertInstanceOf(TokenError::class, new OptionError('x'));
        self::assertInstanceOf(TokenError::class, new KeyConfigError('x'));
    }
}
