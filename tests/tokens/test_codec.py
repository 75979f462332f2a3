"""Tests for tokens.codec: round trips, tampering, expiry, rotation, buckets and the seed."""

from __future__ import annotations

import base64
import hashlib
import math
import string
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tokens import (
    FONTS,
    MAX_TEXT_BYTES,
    ExpiredToken,
    InvalidToken,
    Key,
    KeyRing,
    Noise,
    OptionError,
    RenderOptions,
    codec,
    contrast_ratio,
    generate_key,
)
from tokens.codec import BUCKETS, MAX_TOKEN_CHARS, VERSION, Payload, seal, unseal
from tokens.options import MIN_CONTRAST, PADDING_RANGE, SIZE_RANGE, max_chars
from tokens.text import first_refused

ALPHABET = string.ascii_letters + string.digits + "-_"
EMAIL = "alice.martin@example.org"  # 24 characters
NOW = 1_700_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def expected_chars(text_bytes: int, field_bytes: int = 0) -> int:
    """Token length from the spec: header 3, SIV 16, flags 1, fields, length 1, bucket."""
    bucket = next(b for b in BUCKETS if text_bytes <= b)
    return math.ceil((3 + 16 + 1 + field_bytes + 1 + bucket) * 4 / 3)


def assert_invalid(token: str, keyring: KeyRing) -> None:
    """The token is rejected with exactly InvalidToken and its one message."""
    with pytest.raises(InvalidToken) as info:
        unseal(token, keyring=keyring, now=NOW)
    assert type(info.value) is InvalidToken
    assert str(info.value) == "invalid token"


def reseal(key: Key, plain: bytes, header: bytes | None = None) -> str:
    """An authentic token for an arbitrary plaintext (and header) under ``key``."""
    header = bytes([VERSION]) + key.key_id if header is None else header
    return b64(header + key.cipher.encrypt(plain, None))


def plaintext(token: str, key: Key) -> bytes:
    raw = unb64(token)
    return key.cipher.decrypt(raw[3:], None)


# --- strategies --------------------------------------------------------------------------


def _trim_to_max_bytes(text: str) -> str:
    while len(text.encode()) > MAX_TEXT_BYTES:
        text = text[:-1]
    return text


texts = (
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=MAX_TEXT_BYTES)
    .map(_trim_to_max_bytes)
    .filter(lambda text: first_refused(text) is None)
)
rgb = st.tuples(*[st.integers(0, 255)] * 3)


def _readable(pair: tuple[tuple[int, int, int], tuple[int, int, int] | None]) -> tuple:
    """Keep a colour pair readable: else put the text on black or white, whichever is
    further (one of them always gives at least sqrt(21) = 4.58:1)."""
    color, background = pair
    if background is None or contrast_ratio(color, background) >= MIN_CONTRAST:
        return pair
    black, white = (0, 0, 0), (255, 255, 255)
    return color, max(black, white, key=lambda bg: contrast_ratio(color, bg))


def _options(font: str, size: int, colors: tuple, noise: Noise, padding: int) -> RenderOptions:
    return RenderOptions(
        font=font, size=size, color=colors[0], background=colors[1], noise=noise, padding=padding
    )


options_strategy = st.builds(
    _options,
    font=st.sampled_from(FONTS),
    size=st.integers(SIZE_RANGE.start, SIZE_RANGE.stop - 1),
    colors=st.tuples(rgb, st.none() | rgb).map(_readable),
    noise=st.sampled_from(Noise),
    padding=st.integers(PADDING_RANGE.start, PADDING_RANGE.stop - 1),
)


# --- round trip --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(text=texts, options=options_strategy)
def test_round_trip_any_text_and_options(
    text: str, options: RenderOptions, shared_keyring: KeyRing
) -> None:
    assume(len(text) <= max_chars(options.size, options.padding))  # else too wide to mint
    token = seal(text, shared_keyring, options)
    payload = unseal(token, keyring=shared_keyring)
    assert payload.text == text
    assert payload.options == options
    assert payload.expires_at is None
    assert len(token) <= 388
    assert set(token) <= set(ALPHABET)


def test_round_trip_default_options(keyring: KeyRing) -> None:
    payload = unseal(seal(EMAIL, keyring), keyring=keyring)
    assert (payload.text, payload.options, payload.expires_at) == (EMAIL, RenderOptions(), None)
    assert len(payload.seed) == 16


def test_same_input_gives_same_token(keyring: KeyRing) -> None:
    options = RenderOptions(font="mono", noise=Noise.HIGH)
    assert seal(EMAIL, keyring, options) == seal(EMAIL, keyring, options)
    assert seal(EMAIL, keyring, options) != seal(EMAIL + ".", keyring, options)
    assert seal(EMAIL, keyring, options) != seal(EMAIL, keyring, RenderOptions(font="mono"))


def test_text_edge_lengths(keyring: KeyRing) -> None:
    for text in ["a", " ", "x" * 256, "€" * 85, "😀" * 64, "\u200d", "\ue000"]:
        assert unseal(seal(text, keyring), keyring=keyring).text == text


@pytest.mark.parametrize("text", ["\0", "a\0", "a\tb", "a\nb", "\x7f", "\x85", "\u202emoc"])
def test_text_with_refused_characters_is_not_minted(keyring: KeyRing, text: str) -> None:
    with pytest.raises(OptionError, match=r"text holds U\+"):
        seal(text, keyring)


def test_header_holds_version_and_current_key_id(keyring: KeyRing) -> None:
    raw = unb64(seal(EMAIL, keyring))
    assert raw[0] == VERSION == 1
    assert raw[1:3] == keyring.current.key_id


def test_only_non_default_fields_are_written(keyring: KeyRing) -> None:
    key = keyring.current
    assert plaintext(seal("a", keyring), key)[:2] == b"\x00\x00"
    plain = plaintext(seal("a", keyring, RenderOptions(background=None, size=20)), key)
    assert plain[:3] == bytes([0x02 | 0x10, 20, 0])
    plain = plaintext(seal("a", keyring, ttl=60, now=NOW), key)
    assert plain[:6] == b"\x80" + struct.pack(">I", NOW + 60) + b"\x00"


# --- tampering -----------------------------------------------------------------------------


@pytest.fixture
def victim(keyring: KeyRing) -> str:
    """A token with options, expiry and a '-' and '_' in it (for the '+' '/' test)."""
    for i in range(1000):
        token = seal(
            f"{i}{EMAIL}", keyring, RenderOptions(font="lato", padding=9), ttl=3600, now=NOW
        )
        if "-" in token and "_" in token:
            return token
    raise AssertionError("no token with both '-' and '_'")  # pragma: no cover


def test_victim_is_valid(victim: str, keyring: KeyRing) -> None:
    assert unseal(victim, keyring=keyring, now=NOW).options.font == "lato"


def test_every_single_byte_change_is_rejected(victim: str, keyring: KeyRing) -> None:
    raw = unb64(victim)
    changed = 0
    for i in range(len(raw)):
        for value in range(256):
            if value != raw[i]:
                assert_invalid(b64(raw[:i] + bytes([value]) + raw[i + 1 :]), keyring)
                changed += 1
    assert changed == len(raw) * 255


def test_every_single_character_change_is_rejected(victim: str, keyring: KeyRing) -> None:
    for i, original in enumerate(victim):
        for char in ALPHABET:
            if char != original:
                assert_invalid(victim[:i] + char + victim[i + 1 :], keyring)


def test_every_truncation_is_rejected(victim: str, keyring: KeyRing) -> None:
    raw = unb64(victim)
    for n in range(len(victim)):
        assert_invalid(victim[:n], keyring)
    for n in range(len(raw)):
        assert_invalid(b64(raw[:n]), keyring)


def test_extension_is_rejected(victim: str, keyring: KeyRing) -> None:
    raw = unb64(victim)
    for char in ALPHABET:
        assert_invalid(victim + char, keyring)
    for suffix in ["AA", "AAAA", "A" * 10, victim]:
        assert_invalid(victim + suffix, keyring)
    for extra in [b"\0", b"\0" * 2, b"\0" * 16, b"\xff" * 3, raw]:
        assert_invalid(b64(raw + extra), keyring)


def test_non_canonical_spellings_are_rejected(victim: str, keyring: KeyRing) -> None:
    raw = unb64(victim)
    padded = base64.urlsafe_b64encode(raw).decode()
    assert padded.endswith("=") and padded.rstrip("=") == victim
    standard = victim.replace("-", "+").replace("_", "/")
    assert base64.b64decode(standard + "==") == raw  # the same bytes, other alphabet
    spellings = [
        padded,
        victim + "=",
        victim + "==",
        standard,
        victim.replace("-", "+", 1),
        victim.replace("_", "/", 1),
        " " + victim,
        victim + " ",
        victim + "\n",
        victim[:20] + " " + victim[20:],
        victim[:20] + "\n" + victim[20:],
        victim[:20] + "\t" + victim[20:],
        victim[:20] + "=" + victim[20:],
        victim[:20] + "é" + victim[20:],
        victim[:20] + "\uff21" + victim[20:],  # fullwidth A
    ]
    for spelling in spellings:
        assert_invalid(spelling, keyring)


def test_spare_bits_in_last_character_are_rejected(keyring: KeyRing) -> None:
    token = seal(EMAIL, keyring)  # 53 bytes: 71 characters with 2 spare bits
    assert len(token) == 71
    index = ALPHABET.index(token[-1])
    for spare in (1, 2, 3):
        assert_invalid(token[:-1] + ALPHABET[index ^ spare], keyring)


def test_other_key_and_removed_key_are_rejected(victim: str, keyring: KeyRing) -> None:
    assert_invalid(victim, KeyRing([generate_key()]))
    assert_invalid(victim, KeyRing([generate_key(), generate_key()]))


def test_other_version_is_rejected_even_when_authentic(keyring: KeyRing) -> None:
    key = keyring.current
    plain = plaintext(seal(EMAIL, keyring), key)
    assert unseal(reseal(key, plain), keyring=keyring).text == EMAIL  # the helper itself is sound
    for version in (0, 2, 0x81, 0xFF):
        assert_invalid(reseal(key, plain, bytes([version]) + key.key_id), keyring)


def test_garbage_is_rejected(keyring: KeyRing) -> None:
    for token in ["", "A", "AA", "AAA", "AAAA", "invalid token", "A" * 71, "A" * 388]:
        assert_invalid(token, keyring)
    assert_invalid("A" * (MAX_TOKEN_CHARS + 1), keyring)
    assert_invalid(b64(b"\x01" + keyring.current.key_id + bytes(50)), keyring)


def test_too_long_is_rejected_before_decoding(keyring: KeyRing) -> None:
    token = seal("x" * 256, keyring, RenderOptions(font="mono"))
    assert len(token) < MAX_TOKEN_CHARS
    assert_invalid(token + "A" * (MAX_TOKEN_CHARS + 1 - len(token)), keyring)


def authentic_but_malformed() -> Iterator[tuple[str, bytes]]:
    text = b"jane@example.com"
    body = bytes([len(text) - 1]) + text.ljust(32, b"\0")
    yield "font id 4", b"\x01\x04" + body
    yield "font id 255", b"\x01\xff" + body
    yield "size 7", b"\x02\x07" + body
    yield "size 129", b"\x02\x81" + body
    yield "noise 4", b"\x20\x04" + body
    yield "padding 65", b"\x40\x41" + body
    yield "background and transparent", b"\x18\x00\x00\x00" + body
    yield "low contrast colour", b"\x04\xee\xee\xee" + body
    yield "low contrast background", b"\x08\x33\x33\x33" + body
    yield "nonzero padding", bytes([0, len(text) - 1]) + text + b"\0" * 15 + b"\x01"
    yield "padded to the wrong bucket", bytes([0, len(text) - 1]) + text.ljust(64, b"\0")
    yield "not padded", bytes([0, len(text) - 1]) + text
    yield "length byte too long", bytes([0, 40]) + text.ljust(32, b"\0")
    yield "length byte too short", bytes([0, 3]) + text.ljust(32, b"\0")
    yield "invalid UTF-8", b"\x00\x01\xc3\x28" + bytes(30)
    yield "lone surrogate", b"\x00\x02\xed\xa0\x80" + bytes(29)
    yield "NUL in the text", b"\x00\x01a\x00" + bytes(30)
    yield "newline in the text", b"\x00\x02a\nb" + bytes(29)
    yield "right-to-left override", b"\x00\x05\xe2\x80\xaemoc" + bytes(26)
    yield "first strong isolate", b"\x00\x02\xe2\x81\xa8" + bytes(29)
    yield "noncharacter U+FFFF", b"\x00\x02\xef\xbf\xbf" + bytes(29)
    yield "expiry flag, plaintext too short", b"\x80" + bytes(33)
    yield (
        "every field, plaintext too short",
        bytes([0xEF, 0, 16, 0, 0, 0, 255, 255, 255, 0, 0]) + bytes(23),
    )
    yield "empty", b""
    yield "flags only", b"\x7f"


@pytest.fixture
def empty_layout_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoder's remembered layouts and options start empty and are put back after."""
    monkeypatch.setattr(codec, "_layouts", {})
    monkeypatch.setattr(codec, "_options_by_fields", {})


@pytest.mark.usefixtures("empty_layout_cache")
def test_authentic_but_malformed_plaintexts_are_rejected(keyring: KeyRing) -> None:
    key = keyring.current
    good = seal("jane@example.com", keyring)  # the same head as most malformed ones
    assert unseal(good, keyring=keyring).text == "jane@example.com"
    for _ in range(2):  # the second time, every well-formed head's layout is remembered
        for _why, plain in authentic_but_malformed():
            assert_invalid(reseal(key, plain), keyring)
    assert b"\x00\x0f" in codec._layouts  # flags 0 and 16 bytes of text: remembered


@pytest.mark.usefixtures("empty_layout_cache")
def test_remembered_layouts_are_bounded(keyring: KeyRing) -> None:
    """The decoder remembers what each head (options and text length) means, up to a cap;
    beyond it, tokens still decode, and so do expiring ones and new option sets."""
    sizes = range(SIZE_RANGE.start, SIZE_RANGE.stop)
    texts = ["x" * n for n in range(1, 41)]
    assert len(sizes) * len(texts) > codec.MAX_LAYOUTS
    for size in sizes:
        options = RenderOptions(size=size)
        for text in texts:
            payload = unseal(seal(text, keyring, options), keyring=keyring)
            assert (payload.text, payload.options.size) == (text, size)
    assert len(codec._layouts) == codec.MAX_LAYOUTS
    assert len(codec._options_by_fields) == len(sizes)
    mono = RenderOptions(font="mono", noise=Noise.HIGH)
    for ttl in (None, 60):
        payload = unseal(seal(EMAIL, keyring, mono, ttl=ttl, now=NOW), keyring=keyring, now=NOW)
        assert (payload.text, payload.options) == (EMAIL, mono)
    assert len(codec._layouts) == codec.MAX_LAYOUTS


def test_redundant_default_field_is_accepted(keyring: KeyRing) -> None:
    """Documented in docs/tokens.md: decoders accept a field equal to its default."""
    key = keyring.current
    plain = b"\x02\x10\x00a" + bytes(31)
    payload = unseal(reseal(key, plain), keyring=keyring)
    assert (payload.text, payload.options) == ("a", RenderOptions())


def test_all_failures_look_the_same(victim: str, keyring: KeyRing) -> None:
    raw = unb64(victim)
    key = keyring.current
    tokens = [
        "",
        victim[:-1],
        victim + "=",
        b64(raw[:10] + bytes([raw[10] ^ 1]) + raw[11:]),
        reseal(key, b"\x01\x04\x00a" + bytes(31)),
        reseal(key, b"\x00\x00a" + bytes(31), bytes([2]) + key.key_id),
    ]
    errors = []
    for token in tokens:
        with pytest.raises(InvalidToken) as info:
            unseal(token, keyring=keyring)
        errors.append((type(info.value), str(info.value), info.value.args))
    assert len(set(errors)) == 1
    assert errors[0] == (InvalidToken, "invalid token", ("invalid token",))


# --- expiry -----------------------------------------------------------------------------


def test_expiry_before_and_after(keyring: KeyRing) -> None:
    token = seal(EMAIL, keyring, ttl=60, now=NOW)
    expires = datetime.fromtimestamp(NOW + 60, UTC)
    payload = unseal(token, keyring=keyring, now=NOW + 59.999)
    assert payload.expires_at == expires
    assert payload.text == EMAIL
    for later in (NOW + 60, NOW + 61, NOW + 10**6):
        with pytest.raises(ExpiredToken) as info:
            unseal(token, keyring=keyring, now=later)
        assert info.value.expired_at == expires
        assert str(info.value) == f"token expired at {expires.isoformat()}"


def test_expiry_uses_the_clock_by_default(keyring: KeyRing) -> None:
    token = seal(EMAIL, keyring, ttl=3600)
    payload = unseal(token, keyring=keyring)
    assert payload.expires_at is not None
    assert payload.expires_at > datetime.now(UTC)
    with pytest.raises(ExpiredToken):
        unseal(seal(EMAIL, keyring, ttl=1, now=NOW), keyring=keyring)


def test_ttl_as_timedelta_and_float(keyring: KeyRing) -> None:
    a = seal(EMAIL, keyring, ttl=timedelta(hours=1), now=NOW)
    b = seal(EMAIL, keyring, ttl=3599.5, now=NOW)
    assert a == b  # expiry is whole seconds, rounded up: never already past
    assert unseal(a, keyring=keyring, now=NOW).expires_at == datetime.fromtimestamp(NOW + 3600, UTC)


@pytest.mark.parametrize(
    "ttl",
    [
        0,
        -1,
        -0.5,
        0.0,
        float("nan"),
        float("inf"),
        float("-inf"),
        True,
        False,
        "60",
        [60],
        timedelta(0),
        timedelta(seconds=-5),
        2**32,
        1e300,
    ],
)
def test_bad_ttl_is_rejected(ttl: object, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=r"^bad ttl "):
        seal(EMAIL, keyring, ttl=ttl, now=NOW)  # type: ignore[arg-type]


def test_expired_tampered_token_is_invalid_not_expired(keyring: KeyRing) -> None:
    token = seal(EMAIL, keyring, ttl=1, now=NOW)
    raw = unb64(token)
    tampered = b64(raw[:-1] + bytes([raw[-1] ^ 0x80]))
    assert_invalid(tampered, keyring)
    with pytest.raises(ExpiredToken):
        unseal(token, keyring=keyring, now=NOW + 5)


def test_expiry_fields_authenticated(keyring: KeyRing) -> None:
    """The expiry sits inside the ciphertext: it cannot be read or extended from outside."""
    a = seal(EMAIL, keyring, ttl=60, now=NOW)
    b = seal(EMAIL, keyring, ttl=61, now=NOW)
    assert a != b
    assert len(a) == len(b) == expected_chars(len(EMAIL), 4)
    assert struct.pack(">I", NOW + 60) not in unb64(a)


# --- rotation ------------------------------------------------------------------------------


def test_rotation_new_key_first() -> None:
    old, new = generate_key(), generate_key()
    old_ring, ring = KeyRing([old]), KeyRing([new, old])
    old_token = seal(EMAIL, old_ring)
    assert unseal(old_token, keyring=ring).text == EMAIL
    new_token = seal(EMAIL, ring)
    assert new_token != old_token
    assert unb64(new_token)[1:3] == KeyRing([new]).current.key_id
    assert unseal(new_token, keyring=KeyRing([new])).text == EMAIL
    assert_invalid(new_token, old_ring)
    assert_invalid(old_token, KeyRing([new]))  # the old key removed


def test_colliding_key_ids_still_work(make_key: Callable[[bytes], Key]) -> None:
    a, b, c = make_key(b"\xab\xcd"), make_key(b"\xab\xcd"), make_key(b"\xab\xcd")
    ring = KeyRing([a, b])
    assert ring.by_id[b"\xab\xcd"] == [a, b]
    assert b"\x00\x00" not in ring.by_id
    from_a, from_b = seal(EMAIL, KeyRing([a])), seal(EMAIL, KeyRing([b]))
    assert unb64(from_a)[1:3] == unb64(from_b)[1:3] == b"\xab\xcd"
    assert from_a != from_b
    assert unseal(from_a, keyring=ring).text == EMAIL
    assert unseal(from_b, keyring=ring).text == EMAIL
    assert unseal(from_b, keyring=KeyRing([b, a])).text == EMAIL
    assert_invalid(seal(EMAIL, KeyRing([c])), ring)
    # the seed comes from the key that opened the token
    assert unseal(from_a, keyring=ring).seed == unseal(from_a, keyring=KeyRing([a])).seed
    assert unseal(from_b, keyring=ring).seed == unseal(from_b, keyring=KeyRing([b])).seed


# --- length buckets --------------------------------------------------------------------------


def test_every_length_in_a_bucket_gives_the_same_token_length(keyring: KeyRing) -> None:
    lengths: dict[int, set[int]] = {}
    for n in range(1, MAX_TEXT_BYTES + 1):
        token = seal("x" * n, keyring)
        bucket = next(b for b in BUCKETS if n <= b)
        lengths.setdefault(bucket, set()).add(len(token))
        assert len(token) == expected_chars(n)
    assert list(lengths) == [32, 64, 128, 256]
    sizes = [lengths[b] for b in BUCKETS]
    assert all(len(s) == 1 for s in sizes)
    flat = [s.pop() for s in sizes]
    assert flat == sorted(flat) and len(set(flat)) == 4
    assert flat == [71, 114, 199, 370]


def test_bucket_is_counted_in_utf8_bytes(keyring: KeyRing) -> None:
    assert len(seal("é" * 16, keyring)) == 71  # 32 bytes
    assert len(seal("é" * 17, keyring)) == 114  # 34 bytes
    assert len(seal("😀" * 8, keyring)) == 71
    assert len(seal("😀" * 8 + "a", keyring)) == 114


def test_email_with_default_options_is_short(keyring: KeyRing) -> None:
    assert len(EMAIL) == 24
    token = seal(EMAIL, keyring)
    assert len(token) <= 80
    assert len(token) == 71


def test_longest_token(keyring: KeyRing) -> None:
    options = RenderOptions(
        font="lato", size=9, color=(0, 0, 0), background=(255, 255, 0), noise=Noise.NONE, padding=0
    )
    token = seal("x" * 256, keyring, options, ttl=1, now=NOW)
    assert len(token) == 388 == expected_chars(256, 14)


# --- noise seed ----------------------------------------------------------------------------


def test_seed_ignores_expiry(keyring: KeyRing) -> None:
    seeds = {
        unseal(token, keyring=keyring, now=NOW).seed
        for token in [
            seal(EMAIL, keyring),
            seal(EMAIL, keyring, ttl=60, now=NOW),
            seal(EMAIL, keyring, ttl=7200, now=NOW + 5),
        ]
    }
    assert len(seeds) == 1
    assert len(seeds.pop()) == 16


def test_seed_depends_on_text_options_and_key(keyring: KeyRing) -> None:
    base = unseal(seal(EMAIL, keyring), keyring=keyring).seed
    other_ring = KeyRing([generate_key()])
    others = [
        unseal(seal(EMAIL + " ", keyring), keyring=keyring).seed,
        unseal(seal("bob@example.org", keyring), keyring=keyring).seed,
        unseal(seal(EMAIL, keyring, RenderOptions(noise=Noise.HIGH)), keyring=keyring).seed,
        unseal(seal(EMAIL, keyring, RenderOptions(size=17)), keyring=keyring).seed,
        unseal(seal(EMAIL, keyring, RenderOptions(background=None)), keyring=keyring).seed,
        unseal(seal(EMAIL, other_ring), keyring=other_ring).seed,
    ]
    assert base not in others
    assert len(set(others)) == len(others)


def test_seed_is_not_compared(keyring: KeyRing) -> None:
    other = KeyRing([generate_key()])
    a, b = unseal(seal(EMAIL, keyring), keyring=keyring), unseal(seal(EMAIL, other), keyring=other)
    assert a.seed != b.seed
    assert a == b  # Payload equality ignores the seed
    assert "seed" not in repr(a)


def test_style_is_one_per_key(keyring: KeyRing) -> None:
    """Every token of a key shares one style; another key has another; it is not the seed."""
    payloads = [
        unseal(seal(EMAIL, keyring), keyring=keyring),
        unseal(seal("bob@example.org", keyring, RenderOptions(noise=Noise.HIGH)), keyring=keyring),
        unseal(seal(EMAIL, keyring, ttl=60, now=NOW), keyring=keyring, now=NOW),
    ]
    assert len({payload.style for payload in payloads}) == 1
    assert len(payloads[0].style) == 16
    assert payloads[0].style != payloads[0].seed
    other = KeyRing([generate_key()])
    assert unseal(seal(EMAIL, other), keyring=other).style != payloads[0].style
    assert "style" not in repr(payloads[0])
    with pytest.raises(ValueError, match="style"):
        _ = Payload(EMAIL).style


# --- what seal refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "text must be 1 to 256 UTF-8 bytes, not 0"),
        ("x" * 257, "text must be 1 to 256 UTF-8 bytes, not 257"),
        ("é" * 129, "text must be 1 to 256 UTF-8 bytes, not 258"),
        (b"jane@example.com", "text must be str, not bytes"),
        (None, "text must be str, not NoneType"),
        (42, "text must be str, not int"),
    ],
)
def test_bad_text_is_refused(text: object, message: str, keyring: KeyRing) -> None:
    with pytest.raises(OptionError) as info:
        seal(text, keyring)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_header_moved_to_another_key_is_rejected() -> None:
    """The header is not associated data, yet it is bound: relabelling a token with the
    id of another key in the ring, or a version other than 1, makes it fail."""
    first, second = KeyRing([generate_key()]).current, KeyRing([generate_key()]).current
    ring = KeyRing([first, second])
    raw = unb64(seal(EMAIL, KeyRing([first])))
    assert unseal(b64(raw), keyring=ring).text == EMAIL
    assert_invalid(b64(raw[:1] + second.key_id + raw[3:]), ring)
    for version in (0, 2, 255):
        assert_invalid(b64(bytes([version]) + raw[1:]), ring)


# --- revealable tokens: the extensions byte (docs/tokens.md §9) --------------------------------


def test_revealable_adds_one_authenticated_byte(keyring: KeyRing) -> None:
    plain_token = seal(EMAIL, keyring)
    token = seal(EMAIL, keyring, revealable=True)
    assert plaintext(token, keyring.current) == plaintext(plain_token, keyring.current) + b"\x01"
    payload = unseal(token, keyring=keyring)
    assert payload.revealable is True and payload.text == EMAIL
    assert unseal(plain_token, keyring=keyring).revealable is False
    assert len(token) == len(plain_token) + 1  # 53 -> 54 bytes: 71 -> 72 characters


def test_revealable_keeps_the_seed(keyring: KeyRing) -> None:
    """The same text and options draw the same noise, revealable or not, with or without
    an expiry: two variants never give two noise samples to average."""
    seeds = {
        unseal(seal(EMAIL, keyring, revealable=r, ttl=t, now=NOW), keyring=keyring, now=NOW).seed
        for r in (False, True)
        for t in (None, 60)
    }
    assert len(seeds) == 1


@pytest.mark.parametrize("size", [1, 31, 32, 33, 64, 200, 256])
def test_revealable_round_trips_every_bucket_with_expiry(keyring: KeyRing, size: int) -> None:
    text = "x" * size
    options = RenderOptions.build(font="mono", size=20, noise="high", padding=9)
    token = seal(text, keyring, options, ttl=600, now=NOW, revealable=True)
    payload = unseal(token, keyring=keyring, now=NOW)
    assert (payload.text, payload.options, payload.revealable) == (text, options, True)
    with pytest.raises(ExpiredToken):
        unseal(token, keyring=keyring, now=NOW + 600)


@pytest.mark.parametrize(
    "extensions", [b"\x00", b"\x04", b"\x07", b"\x80", b"\xff", b"\x01\x01", b"\x02\x00"]
)
def test_unknown_or_zero_extensions_are_rejected(keyring: KeyRing, extensions: bytes) -> None:
    """The byte is present only when not zero, and only bits 0 and 1 are defined: one
    spelling."""
    base = plaintext(seal(EMAIL, keyring), keyring.current)
    assert_invalid(reseal(keyring.current, base + extensions), keyring)


def test_extensions_byte_cannot_replace_padding(keyring: KeyRing) -> None:
    base = plaintext(seal("short", keyring), keyring.current)
    assert_invalid(reseal(keyring.current, base[:-1] + b"\x01"), keyring)  # last pad byte


@pytest.mark.parametrize("revealable", [1, "yes", None])
def test_revealable_must_be_a_bool(keyring: KeyRing, revealable: object) -> None:
    with pytest.raises(OptionError, match="revealable"):
        seal(EMAIL, keyring, revealable=revealable)  # type: ignore[arg-type]


@pytest.mark.parametrize("revealable", [False, True])
def test_two_lines_travel_in_the_extensions_byte(keyring: KeyRing, revealable: bool) -> None:
    """lines=2 sets bit 1 of the extensions byte (docs/tokens.md section 11), beside
    the revealable bit; the option fields and the noise seed stay those of one line."""
    options = RenderOptions.build(noise="low", lines=2)
    one_line = seal(EMAIL, keyring, RenderOptions.build(noise="low"), revealable=revealable)
    token = seal(EMAIL, keyring, options, revealable=revealable)
    expected = 0x03 if revealable else 0x02
    base = plaintext(one_line, keyring.current)
    assert plaintext(token, keyring.current) == base.removesuffix(b"\x01") + bytes([expected])
    payload = unseal(token, keyring=keyring)
    assert (payload.text, payload.options, payload.revealable) == (EMAIL, options, revealable)
    assert payload.options.to_dict()["lines"] == 2
    assert "lines" not in unseal(one_line, keyring=keyring).options.to_dict()
    # Another image, so another seed (the service keys its cache by it), alike whether
    # revealable or not: the plaintext less its expiry, with the extensions byte 0x02.
    assert payload.seed != unseal(one_line, keyring=keyring).seed
    two_lines = plaintext(token, keyring.current)[:-1] + b"\x02"
    assert (
        payload.seed
        == hashlib.blake2b(two_lines, key=keyring.current.noise_key, digest_size=16).digest()
    )


def test_two_lines_with_an_expiry(keyring: KeyRing) -> None:
    options = RenderOptions.build(font="mono", lines=2)
    token = seal("+44 20 7946 0958", keyring, options, ttl=600, now=NOW)
    payload = unseal(token, keyring=keyring, now=NOW)
    assert payload.options == options and payload.expires_at is not None
