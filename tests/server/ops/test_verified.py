"""server/ops/verified.py: the bounded memo of verified tokens keeps decode's answers."""

from __future__ import annotations

import time

import pytest

import tokens
import tokens.codec
from server.ops.verified import VerifiedToken, VerifiedTokens
from tokens.options import RenderOptions

SECRET = "secret.person@example.org"


def test_a_verified_token_gives_the_seed_expiry_and_size_of_decode(
    keyring: tokens.KeyRing,
) -> None:
    token = tokens.encode(SECRET, keyring=keyring, ttl=600)
    payload = tokens.decode(token, keyring=keyring)
    memo = VerifiedTokens()
    known = memo.verify(token, keyring)
    assert payload.expires_at is not None
    size = tokens.image_size(payload.text, payload.options)
    assert known == VerifiedToken(payload.seed, payload.expires_at.timestamp(), size)
    assert known.pixels(2) == size[0] * size[1] * 4
    assert memo.verify(token, keyring) is known  # the second time from the memo
    assert len(memo) == 1
    assert SECRET not in repr(known)


@pytest.mark.parametrize(
    "bad",
    ["", "not-a-token", "A" * 80],
    ids=["empty", "garbage", "long"],
)
def test_a_bad_token_is_never_remembered(keyring: tokens.KeyRing, bad: str) -> None:
    memo = VerifiedTokens()
    for _ in range(2):
        with pytest.raises(tokens.InvalidToken):
            memo.verify(bad, keyring)
    assert len(memo) == 0


def test_a_tampered_token_is_refused_even_when_the_original_is_remembered(
    keyring: tokens.KeyRing,
) -> None:
    token = tokens.encode(SECRET, keyring=keyring)
    memo = VerifiedTokens()
    memo.verify(token, keyring)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(tokens.InvalidToken):
        memo.verify(tampered, keyring)
    assert len(memo) == 1


def test_expiry_is_enforced_on_every_hit(keyring: tokens.KeyRing) -> None:
    now = float(int(time.time()))  # whole seconds, as tokens carry their expiry
    token = tokens.codec.seal(SECRET, keyring, RenderOptions(), ttl=60, now=now)
    memo = VerifiedTokens()
    known = memo.verify(token, keyring, now=now)
    assert memo.verify(token, keyring, now=now + 59) is known
    with pytest.raises(tokens.ExpiredToken) as raised:
        memo.verify(token, keyring, now=now + 60)  # the same instant decode refuses it
    assert known.expires_at is not None
    assert raised.value.expired_at.timestamp() == known.expires_at
    assert len(memo) == 0
    with pytest.raises(tokens.ExpiredToken):  # and again, now by decode itself
        memo.verify(token, keyring, now=now + 61)
    assert len(memo) == 0


def test_an_expired_token_is_never_remembered(keyring: tokens.KeyRing) -> None:
    token = tokens.codec.seal(SECRET, keyring, RenderOptions(), ttl=1, now=time.time() - 100)
    memo = VerifiedTokens()
    with pytest.raises(tokens.ExpiredToken):
        memo.verify(token, keyring)
    assert len(memo) == 0


def test_the_memo_is_bounded_and_drops_the_least_recently_used(keyring: tokens.KeyRing) -> None:
    memo = VerifiedTokens(max_items=3)
    minted = [tokens.encode(f"user{i}@example.org", keyring=keyring) for i in range(5)]
    for token in minted[:3]:
        memo.verify(token, keyring)
    memo.verify(minted[0], keyring)  # now the most recently used
    memo.verify(minted[3], keyring)  # drops minted[1]
    memo.verify(minted[4], keyring)  # drops minted[2]
    assert len(memo) == 3
    assert set(memo._items) == {minted[0], minted[3], minted[4]}
    for token in minted:  # every one still verifies, remembered or not
        assert memo.verify(token, keyring).seed == tokens.decode(token, keyring=keyring).seed
    assert len(memo) == 3


def test_another_key_ring_starts_an_empty_memo(keyring: tokens.KeyRing) -> None:
    token = tokens.encode(SECRET, keyring=keyring)
    memo = VerifiedTokens()
    memo.verify(token, keyring)
    reloaded = tokens.KeyRing([tokens.generate_key()])  # the old key was removed
    with pytest.raises(tokens.InvalidToken):
        memo.verify(token, reloaded)
    assert len(memo) == 0


def test_max_items_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        VerifiedTokens(max_items=0)


def test_the_payload_comes_with_the_first_verification_only(keyring: tokens.KeyRing) -> None:
    token = tokens.encode(SECRET, keyring=keyring)
    memo = VerifiedTokens()
    known, payload = memo.verify_with_payload(token, keyring)
    assert payload == tokens.decode(token, keyring=keyring)
    assert memo.verify_with_payload(token, keyring) == (known, None)  # remembered: no text
    assert SECRET not in repr(memo._items)
