"""tokens.pow: challenge format, expiry, tampering, replay and difficulty."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

import pytest

import tokens
from tokens.errors import ChallengeLimit, InvalidChallenge
from tokens.pow import (
    CHALLENGE_TTL,
    MAX_DIFFICULTY,
    Challenge,
    SpentChallenges,
    issue,
    leading_zero_bits,
    solve,
    verify,
    work_hash,
)

NOW = 1_700_000_000
CLIENT = "192.0.2.10"


@pytest.fixture
def token(keyring: tokens.KeyRing) -> str:
    return tokens.encode("jane@example.com", keyring=keyring, revealable=True)


def raw(challenge: str) -> bytes:
    return base64.urlsafe_b64decode(challenge + "==")


def spell(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_format(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=9, now=NOW)
    data = raw(challenge)
    assert len(challenge) == 48 and len(data) == 36
    version, key_id, difficulty, expires, _ = struct.unpack(">B2sBI12s", data[:20])
    assert (version, key_id, difficulty) == (1, keyring.current.key_id, 9)
    assert expires == NOW + CHALLENGE_TTL
    # The tag is HMAC-SHA256 under the pow subkey over body, SHA-256(token), SHA-256(client).
    bound = hashlib.sha256(token.encode()).digest() + hashlib.sha256(CLIENT.encode()).digest()
    tag = hmac.new(keyring.current.pow_key, data[:20] + bound, hashlib.sha256).digest()[:16]
    assert data[20:] == tag
    # A fresh salt each time: two challenges for the same token and client differ.
    assert issue(token, CLIENT, keyring.current, difficulty=9, now=NOW) != challenge


def test_pow_key_is_derived_from_the_secret() -> None:
    key_text = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    first, again = tokens.Key.parse(key_text, "test"), tokens.Key.parse(key_text, "test")
    assert first.pow_key == again.pow_key and len(first.pow_key) == 32
    other = tokens.Key.parse(tokens.generate_key(), "test")
    assert first.pow_key not in (first.noise_key, other.pow_key)
    assert "pow_key" not in repr(first)


def test_solved_challenge_verifies(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=10, now=NOW)
    nonce = solve(challenge)
    assert leading_zero_bits(work_hash(raw(challenge), nonce)) >= 10
    solved = verify(challenge, nonce, token, CLIENT, keyring, now=NOW + 1)
    assert solved.difficulty == 10 and solved.expires == NOW + CHALLENGE_TTL
    assert solved.tag == raw(challenge)[20:]


def test_work_is_the_sha256_of_challenge_and_nonce(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=8, now=NOW)
    nonce = solve(challenge)
    digest = hashlib.sha256(raw(challenge) + struct.pack(">Q", nonce)).digest()
    assert digest == work_hash(raw(challenge), nonce)
    assert int.from_bytes(digest[:1], "big") == 0  # 8 leading zero bits: the first byte


def test_too_little_work_is_refused(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=12, now=NOW)
    data = raw(challenge)
    weak = next(n for n in range(10_000) if leading_zero_bits(work_hash(data, n)) < 12)
    with pytest.raises(InvalidChallenge, match=r"^challenge failed$"):
        verify(challenge, weak, token, CLIENT, keyring, now=NOW)


@pytest.mark.parametrize("bits", [1, 4, 8, 13, 16])
def test_difficulty_is_leading_zero_bits(keyring: tokens.KeyRing, token: str, bits: int) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=bits, now=NOW)
    nonce = solve(challenge)
    assert leading_zero_bits(work_hash(raw(challenge), nonce)) >= bits
    # Every smaller nonce fails: solve() returns the first that meets the difficulty.
    assert all(leading_zero_bits(work_hash(raw(challenge), n)) < bits for n in range(nonce))


def test_leading_zero_bits() -> None:
    assert leading_zero_bits(bytes(32)) == 256
    assert leading_zero_bits(b"\x80" + bytes(31)) == 0
    assert leading_zero_bits(b"\x00\x01" + bytes(30)) == 15
    assert leading_zero_bits(b"\x00\x00\x10" + bytes(29)) == 19


def test_expired_challenge_is_refused(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=4, ttl=60, now=NOW)
    nonce = solve(challenge)
    verify(challenge, nonce, token, CLIENT, keyring, now=NOW + 59)
    for later in (NOW + 60, NOW + 3600):
        with pytest.raises(InvalidChallenge):
            verify(challenge, nonce, token, CLIENT, keyring, now=later)


def test_bound_to_token_and_client(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=4, now=NOW)
    nonce = solve(challenge)
    other_token = tokens.encode("joe@example.com", keyring=keyring, revealable=True)
    with pytest.raises(InvalidChallenge):
        verify(challenge, nonce, other_token, CLIENT, keyring, now=NOW)
    with pytest.raises(InvalidChallenge):
        verify(challenge, nonce, token, "192.0.2.11", keyring, now=NOW)


def test_other_key_refused_and_rotation_accepted(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=4, now=NOW)
    nonce = solve(challenge)
    with pytest.raises(InvalidChallenge):
        verify(challenge, nonce, token, CLIENT, tokens.KeyRing([tokens.generate_key()]), now=NOW)
    # After a rotation the old key still verifies the challenges it signed.
    rotated = tokens.KeyRing([tokens.generate_key(), keyring.current])
    verify(challenge, nonce, token, CLIENT, rotated, now=NOW)


def test_tampering_is_refused(keyring: tokens.KeyRing, token: str) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=6, now=NOW)
    data = raw(challenge)
    # Every single-byte change, including a lower difficulty or a later expiry.
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        forged = spell(bytes(changed))
        with pytest.raises(InvalidChallenge):
            verify(forged, solve(forged), token, CLIENT, keyring, now=NOW)


@pytest.mark.parametrize(
    "challenge",
    [
        "",
        "A" * 47,
        "A" * 49,
        "!" * 48,
        "é" * 48,
        "AdytEGsMVYTU7758TsA7zS4RyVrazfy2ljuLq9hv6cTnWA4q=",
        "AdytEGsMVYTU7758TsA7zS4RyVrazfy2ljuLq9hv6cTnWA4+",
    ],
)
def test_malformed_challenge_is_refused(
    keyring: tokens.KeyRing, token: str, challenge: str
) -> None:
    with pytest.raises(InvalidChallenge):
        verify(challenge, 0, token, CLIENT, keyring, now=NOW)


@pytest.mark.parametrize("nonce", [-1, 2**64, True])
def test_nonce_out_of_range_is_refused(keyring: tokens.KeyRing, token: str, nonce: int) -> None:
    challenge = issue(token, CLIENT, keyring.current, difficulty=1, now=NOW)
    with pytest.raises(InvalidChallenge):
        verify(challenge, nonce, token, CLIENT, keyring, now=NOW)


@pytest.mark.parametrize("difficulty", [0, MAX_DIFFICULTY + 1, True, 1.5])
def test_issue_rejects_bad_difficulty(keyring: tokens.KeyRing, difficulty: object) -> None:
    with pytest.raises(ValueError, match="difficulty"):
        issue("t", CLIENT, keyring.current, difficulty=difficulty)  # type: ignore[arg-type]


def test_replay_is_refused(keyring: tokens.KeyRing, token: str) -> None:
    spent = SpentChallenges()
    challenge = issue(token, CLIENT, keyring.current, difficulty=4, now=NOW)
    solved = verify(challenge, solve(challenge), token, CLIENT, keyring, now=NOW)
    spent.spend(solved, now=NOW)
    with pytest.raises(InvalidChallenge):
        spent.spend(solved, now=NOW + 1)
    # Another nonce for the same challenge is the same challenge.
    second = solve(challenge, start=solve(challenge) + 1)
    again = verify(challenge, second, token, CLIENT, keyring, now=NOW + 2)
    with pytest.raises(InvalidChallenge):
        spent.spend(again, now=NOW + 2)


def test_spent_challenges_are_forgotten_when_they_expire() -> None:
    spent = SpentChallenges(capacity=3)
    for i in range(3):
        spent.spend(Challenge(bytes([i]) * 16, 4, NOW + 10 + i), now=NOW)
    assert len(spent) == 3
    with pytest.raises(ChallengeLimit) as caught:
        spent.spend(Challenge(b"x" * 16, 4, NOW + 20), now=NOW + 1)
    assert caught.value.retry_after == 9  # until the oldest expires
    assert len(spent) == 3  # nothing forgotten early, so nothing can be replayed
    spent.spend(Challenge(b"x" * 16, 4, NOW + 20), now=NOW + 10)  # the first expired
    assert len(spent) == 3
    spent.spend(Challenge(b"y" * 16, 4, NOW + 20), now=NOW + 30)
    assert len(spent) == 1
