"""The test vectors of docs/tokens.md, read from the document itself.

Each vector is checked against tokens.codec, and also rebuilt by an independent
implementation written from the document alone (HKDF from hmac, the plaintext layout of
section 3, AES-SIV from single-block AES as in Appendix A), so the spec cannot drift
from the code. docs/vectors.json, which the JavaScript and PHP helpers test against,
must hold exactly the document's blocks, and every minting case of section 8 is minted
(or refused) by the Python helper as the document says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import tokens
from tokens import ExpiredToken, InvalidToken, KeyConfigError, KeyRing, OptionError, RenderOptions
from tokens.codec import seal, unseal

DOC = Path(__file__).resolve().parent.parent / "docs" / "tokens.md"
JSON = DOC.with_name("vectors.json")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def _json_blocks(text: str) -> list[Any]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.S)]


def _mint_cases(text: str) -> dict[str, list[dict[str, Any]]]:
    """The blocks under "### Minting cases", by the first word of their heading."""
    section = _section(text, "## 8. Test vectors").split("### Minting cases", 1)[1]
    cases: dict[str, list[dict[str, Any]]] = {}
    for heading, body in re.findall(r"\n#### (\w+)[^\n]*\n(.*?)(?=\n#### |\Z)", section, re.S):
        (block,) = _json_blocks(body)
        cases[heading.lower()] = block
    return cases


def _load() -> tuple[list[dict[str, Any]], list[dict[str, str]], dict[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = _section(text, "## 8. Test vectors").split("### Minting cases", 1)[0]
    vectors: list[dict[str, Any]] = []
    rejected: list[dict[str, str]] = []
    for data in _json_blocks(section):
        if isinstance(data, list):
            rejected.extend(data)
        else:
            vectors.append(data)
    keys = _section(text, "## 1. Keys")
    match = re.search(r"For the key `([A-Za-z0-9_-]{43})`.*?```text\n(.*?)```", keys, flags=re.S)
    assert match, "key derivation example not found in docs/tokens.md"
    derived = {"key": match.group(1)}
    for name, value in re.findall(r"(\w+)\s*=\s*([0-9a-f\s]+?)(?=\n\w+\s*=|\Z)", match.group(2)):
        derived[name] = "".join(value.split())
    return vectors, rejected, derived


VECTORS, REJECTED, DERIVED = _load()
MINT_CASES = _mint_cases(DOC.read_text(encoding="utf-8"))
MACHINE = json.loads(JSON.read_text(encoding="utf-8"))
IDS = [f"vector{i + 1}" for i in range(len(VECTORS))]
FIRST_KEY = VECTORS[0]["key"]
SECOND_KEY = next(v["key"] for v in VECTORS if v["key"] != FIRST_KEY)


# --- an implementation from the document alone ------------------------------------------------

FONTS = ["sans", "serif", "mono", "lato"]
NOISE = {"none": 0, "low": 1, "medium": 2, "high": 3}
BUCKETS = [32, 64, 128, 256]


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf_sha256(secret: bytes, info: str, length: int) -> bytes:
    prk = hmac.new(b"", secret, hashlib.sha256).digest()  # no salt
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info.encode() + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def aes(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - one block
    return encryptor.update(block) + encryptor.finalize()


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def dbl(x: bytes) -> bytes:
    n = int.from_bytes(x, "big") << 1
    if n >> 128:
        n = (n ^ 0x87) & ((1 << 128) - 1)
    return n.to_bytes(16, "big")


def cmac(key: bytes, m: bytes) -> bytes:
    k1 = dbl(aes(key, bytes(16)))
    k2 = dbl(k1)
    if m and len(m) % 16 == 0:
        last, m = xor(m[-16:], k1), m[:-16]
    else:
        r = len(m) % 16
        last, m = xor(m[len(m) - r :] + b"\x80" + bytes(15 - r), k2), m[: len(m) - r]
    x = bytes(16)
    for i in range(0, len(m), 16):
        x = aes(key, xor(x, m[i : i + 16]))
    return aes(key, xor(x, last))


def aes_siv_encrypt(siv_key: bytes, plain: bytes) -> bytes:
    """RFC 5297 with no associated data: S2V over the plaintext alone."""
    k1, k2 = siv_key[:32], siv_key[32:]
    d = cmac(k1, bytes(16))
    t = plain[:-16] + xor(plain[-16:], d)
    v = cmac(k1, t)
    q = bytearray(v)
    q[8] &= 0x7F
    q[12] &= 0x7F
    counter = int.from_bytes(q, "big")
    keystream = b"".join(
        aes(k2, ((counter + i) % (1 << 128)).to_bytes(16, "big"))
        for i in range((len(plain) + 15) // 16)
    )
    return v + xor(plain, keystream[: len(plain)])


def rgb(hex_colour: str) -> bytes:
    return bytes.fromhex(hex_colour.removeprefix("#"))


def plaintext_from_spec(text: str, options: dict[str, Any], expires: int | None) -> bytes:
    flags, fields = 0, b""
    if options["font"] != "sans":
        flags, fields = flags | 0x01, fields + bytes([FONTS.index(options["font"])])
    if options["size"] != 16:
        flags, fields = flags | 0x02, fields + bytes([options["size"]])
    if options["color"] != "#222222":
        flags, fields = flags | 0x04, fields + rgb(options["color"])
    if options["background"] == "transparent":
        flags |= 0x10
    elif options["background"] != "#ffffff":
        flags, fields = flags | 0x08, fields + rgb(options["background"])
    if options["noise"] != "medium":
        flags, fields = flags | 0x20, fields + bytes([NOISE[options["noise"]]])
    if options["padding"] != 4:
        flags, fields = flags | 0x40, fields + bytes([options["padding"]])
    if expires is not None:
        flags, fields = flags | 0x80, fields + struct.pack(">I", expires)
    data = text.encode("utf-8")
    bucket = next(b for b in BUCKETS if len(data) <= b)
    return bytes([flags]) + fields + bytes([len(data) - 1]) + data + bytes(bucket - len(data))


def mint_from_spec(key_text: str, text: str, options: dict[str, Any], expires: int | None) -> str:
    secret = b64decode(key_text)
    siv_key = hkdf_sha256(secret, "glyphveil/v1/aes-siv", 64)
    key_id = hkdf_sha256(secret, "glyphveil/v1/key-id", 2)
    header = b"\x01" + key_id
    sealed = aes_siv_encrypt(siv_key, plaintext_from_spec(text, options, expires))
    return base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode("ascii")


def seal_vector(vector: dict[str, Any]) -> str:
    options = RenderOptions.build(**vector["options"])
    keyring = KeyRing([vector["key"]])
    if vector["expires"] is None:
        return seal(vector["text"], keyring, options)
    return seal(vector["text"], keyring, options, ttl=vector["ttl"], now=vector["now"])


# --- the vectors ------------------------------------------------------------------------------


def test_the_document_has_the_promised_vectors() -> None:
    assert len(VECTORS) >= 5
    defaults = RenderOptions().to_dict()
    changed = {
        name for v in VECTORS for name, value in v["options"].items() if value != defaults[name]
    }
    assert changed == set(defaults)  # every kind of option appears with a non-default value
    assert any(v["options"] == defaults and v["expires"] is None for v in VECTORS)
    assert any(v["options"]["background"] == "transparent" for v in VECTORS)
    assert any(len(v["text"]) < len(v["text"].encode()) for v in VECTORS)  # multi-byte UTF-8
    assert any(len(v["text"].encode()) == 33 for v in VECTORS)
    assert any(v["expires"] is not None for v in VECTORS)
    assert any(len(v["token"]) == 71 and len(v["text"]) == 24 for v in VECTORS)
    assert any(65 <= len(v["text"].encode()) <= 128 for v in VECTORS)  # the 128-byte bucket
    assert any(v.get("now", 0) % 1 and v["expires"] != int(v["now"]) + v["ttl"] for v in VECTORS)
    assert len(REJECTED) >= 5
    assert set(MINT_CASES) == {"expiry", "colours", "spelling", "text", "keys"}


def test_vectors_json_holds_exactly_the_documents_blocks() -> None:
    """docs/vectors.json is what programs read; the document is what people read."""
    assert MACHINE["vectors"] == VECTORS
    assert MACHINE["rejected"] == REJECTED
    assert MACHINE["key_derivation"] == DERIVED
    assert MACHINE["mint_cases"] == MINT_CASES
    assert MACHINE["revealable"] == REVEALABLE
    assert MACHINE["revealable_rejected"] == REVEAL_REJECTED
    expired = MACHINE["expired"]
    text = DOC.read_text(encoding="utf-8")
    assert f"now >= {expired['now']}` must raise `ExpiredToken`" in text.replace("\n", " ")
    assert f"`expired_at = {expired['expired_at']}`" in text
    vector = next(v for v in VECTORS if v["expires"] == expired["now"])
    assert (expired["token"], expired["key"]) == (vector["token"], vector["key"])


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_sealing_reproduces_the_token(vector: dict[str, Any]) -> None:
    assert seal_vector(vector) == vector["token"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_unsealing_gives_the_payload_back(vector: dict[str, Any]) -> None:
    keyring = KeyRing([vector["key"]])
    now = vector.get("now", 1_700_000_000)
    payload = unseal(vector["token"], keyring=keyring, now=now)
    assert payload.text == vector["text"]
    assert payload.options.to_dict() == vector["options"]
    assert payload.options == RenderOptions.build(**vector["options"])
    if vector["expires"] is None:
        assert payload.expires_at is None
    else:
        assert vector["expires"] == math.ceil(vector["now"] + vector["ttl"])
        assert payload.expires_at == datetime.fromtimestamp(vector["expires"], UTC)
        with pytest.raises(ExpiredToken) as info:
            unseal(vector["token"], keyring=keyring, now=vector["expires"])
        assert info.value.expired_at == payload.expires_at


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_header_and_plaintext(vector: dict[str, Any]) -> None:
    raw = b64decode(vector["token"])
    assert raw[0] == 0x01
    assert raw[1:3].hex() == vector["key_id"]
    key = KeyRing([vector["key"]]).current
    assert key.key_id.hex() == vector["key_id"]
    plain = key.cipher.decrypt(raw[3:], None)  # the header is not associated data
    assert plain.hex() == vector["plaintext"]
    assert len(raw) == 3 + 16 + len(plain)
    with pytest.raises(InvalidTag):
        key.cipher.decrypt(raw[3:], [raw[:3]])


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_every_header_bit_is_bound(vector: dict[str, Any]) -> None:
    # section 6: the version check and the key id make the header fail like any other byte
    raw = b64decode(vector["token"])
    keyring = KeyRing([FIRST_KEY, SECOND_KEY])
    for bit in range(3 * 8):
        changed = bytearray(raw)
        changed[bit // 8] ^= 1 << (bit % 8)
        token = base64.urlsafe_b64encode(changed).rstrip(b"=").decode("ascii")
        with pytest.raises(InvalidToken):
            unseal(token, keyring=keyring, now=vector.get("now", 1_700_000_000))


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_an_implementation_from_the_document_agrees(vector: dict[str, Any]) -> None:
    plain = plaintext_from_spec(vector["text"], vector["options"], vector["expires"])
    assert plain.hex() == vector["plaintext"]
    token = mint_from_spec(vector["key"], vector["text"], vector["options"], vector["expires"])
    assert token == vector["token"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_noise_seed_as_documented(vector: dict[str, Any]) -> None:
    # section 7: the plaintext without bit 7 and without the expiry field
    body = plaintext_from_spec(vector["text"], vector["options"], None)
    plain = bytes.fromhex(vector["plaintext"])
    if vector["expires"] is not None:
        end_of_fields = (
            len(body) - 1 - next(b for b in BUCKETS if len(vector["text"].encode()) <= b)
        )
        expiry = struct.pack(">I", vector["expires"])
        assert (
            plain == bytes([body[0] | 0x80]) + body[1:end_of_fields] + expiry + body[end_of_fields:]
        )
    else:
        assert plain == body
    noise_key = hkdf_sha256(b64decode(vector["key"]), "glyphveil/v1/noise", 32)
    seed = hashlib.blake2b(body, key=noise_key, digest_size=16).digest()
    payload = unseal(vector["token"], keyring=KeyRing([vector["key"]]), now=vector.get("now"))
    assert payload.seed == seed


def test_key_derivation_example() -> None:
    secret = b64decode(DERIVED["key"])
    assert secret == bytes(range(32))
    assert hkdf_sha256(secret, "glyphveil/v1/key-id", 2).hex() == DERIVED["key_id"]
    assert hkdf_sha256(secret, "glyphveil/v1/aes-siv", 64).hex() == DERIVED["siv_key"]
    assert hkdf_sha256(secret, "glyphveil/v1/noise", 32).hex() == DERIVED["noise_key"]
    key = KeyRing([DERIVED["key"]]).current
    assert key.key_id.hex() == DERIVED["key_id"]
    assert key.noise_key.hex() == DERIVED["noise_key"]


@pytest.mark.parametrize("keys", [[FIRST_KEY], [FIRST_KEY, SECOND_KEY]], ids=["one", "both"])
@pytest.mark.parametrize("case", REJECTED, ids=[c["why"] for c in REJECTED])
def test_documented_bad_tokens_are_rejected(case: dict[str, str], keys: list[str]) -> None:
    keyring = KeyRing(keys)
    with pytest.raises(InvalidToken) as info:
        unseal(case["token"], keyring=keyring, now=1_700_000_000)
    assert str(info.value) == "invalid token"


def test_documented_bad_tokens_fail_for_the_stated_reason() -> None:
    # "authentic" ones pass AES-SIV, so only a rule of section 5 can reject them; the ones
    # with a changed header keep vector 1's sealed bytes, which verify under the first key
    key = KeyRing([FIRST_KEY]).current
    vector1 = b64decode(VECTORS[0]["token"])
    authentic = [c for c in REJECTED if c["why"].startswith("authentic")]
    relabelled = [c for c in REJECTED if "version byte" in c["why"] or "key id" in c["why"]]
    assert len(authentic) >= 5 and len(relabelled) >= 2
    for case in authentic:
        raw = b64decode(case["token"])
        assert raw[:3] == key.header
        key.cipher.decrypt(raw[3:], None)
    for case in relabelled:
        raw = b64decode(case["token"])
        assert raw[:3] != vector1[:3] and raw[3:] == vector1[3:]
    assert {b64decode(c["token"])[0] for c in relabelled} > {0x01}


def test_documented_expired_at() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"now >= (\d+)`? must raise `ExpiredToken` with\s+`expired_at = ([^`]+)`", text
    )
    assert match
    expires, shown = int(match.group(1)), match.group(2)
    vector = next(v for v in VECTORS if v["expires"] == expires)
    with pytest.raises(ExpiredToken) as info:
        unseal(vector["token"], keyring=KeyRing([vector["key"]]), now=expires)
    assert info.value.expired_at.isoformat() == shown


# --- the minting cases --------------------------------------------------------------------


def case_text(case: dict[str, Any]) -> str:
    if "text_code_points" in case:
        return "".join(chr(point) for point in case["text_code_points"])
    if "text_repeat" in case:
        piece, times = case["text_repeat"]
        return str(piece) * int(times)
    return str(case["text"])


CASES = [case for cases in MACHINE["mint_cases"].values() for case in cases]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_minting_case(case: dict[str, Any]) -> None:
    def mint() -> str:
        keyring = KeyRing([case.get("key", FIRST_KEY)])
        options = case.get("options", {})
        return tokens.encode(
            case_text(case), keyring=keyring, ttl=case.get("ttl"), now=case.get("now"), **options
        )

    if "token" in case:
        token = mint()
        assert token == case["token"]
        payload = unseal(token, keyring=KeyRing([case.get("key", FIRST_KEY)]), now=0)
        assert payload.text == case_text(case)
        if "expires" in case:
            assert payload.expires_at == datetime.fromtimestamp(case["expires"], UTC)
    elif case["error"] == "key":
        with pytest.raises(KeyConfigError):
            mint()
    else:
        with pytest.raises(OptionError) as info:
            mint()
        assert case["error"] in str(info.value).lower()


# --- section 9: revealable tokens, section 10: reveal challenges -------------------------------


def _reveal_vectors() -> tuple[list[dict[str, Any]], list[dict[str, str]], dict[str, Any]]:
    text = DOC.read_text(encoding="utf-8")
    vectors: list[dict[str, Any]] = []
    rejected: list[dict[str, str]] = []
    for block in re.findall(r"```json\n(.*?)```", _section(text, "## 9. Revealable tokens"), re.S):
        data = json.loads(block)
        if isinstance(data, list):
            rejected.extend(data)
        else:
            vectors.append(data)
    section = _section(text, "## 10. Reveal challenges")
    (challenge,) = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.S)]
    return vectors, rejected, challenge


REVEALABLE, REVEAL_REJECTED, CHALLENGE = _reveal_vectors()
REVEAL_IDS = [f"revealable{i + 1}" for i in range(len(REVEALABLE))]


def test_section_9_has_its_vectors() -> None:
    assert len(REVEALABLE) >= 3 and len(REVEAL_REJECTED) >= 3
    assert all(v["revealable"] is True for v in REVEALABLE)
    assert any(v["expires"] is not None for v in REVEALABLE)
    assert {v["key"] for v in REVEALABLE} == {FIRST_KEY, SECOND_KEY}
    # The first is vector 1 minted revealable: the same plaintext with 01 appended.
    assert REVEALABLE[0]["plaintext"] == VECTORS[0]["plaintext"] + "01"
    assert len(REVEALABLE[0]["token"]) == 72


@pytest.mark.parametrize("vector", REVEALABLE, ids=REVEAL_IDS)
def test_revealable_vector_seals_and_unseals(vector: dict[str, Any]) -> None:
    keyring = KeyRing([vector["key"]])
    options = RenderOptions.build(**vector["options"])
    ttl = {} if vector["expires"] is None else {"ttl": vector["ttl"], "now": vector["now"]}
    assert seal(vector["text"], keyring, options, revealable=True, **ttl) == vector["token"]
    payload = unseal(vector["token"], keyring=keyring, now=vector.get("now", 1_700_000_000))
    assert (payload.text, payload.options.to_dict()) == (vector["text"], vector["options"])
    assert payload.revealable is True
    raw = b64decode(vector["token"])
    assert raw[1:3].hex() == vector["key_id"]
    assert keyring.current.cipher.decrypt(raw[3:], None).hex() == vector["plaintext"]


@pytest.mark.parametrize("vector", REVEALABLE, ids=REVEAL_IDS)
def test_revealable_vector_from_the_document_alone(vector: dict[str, Any]) -> None:
    plain = plaintext_from_spec(vector["text"], vector["options"], vector["expires"]) + b"\x01"
    assert plain.hex() == vector["plaintext"]
    secret = b64decode(vector["key"])
    header = b"\x01" + hkdf_sha256(secret, "glyphveil/v1/key-id", 2)
    sealed = aes_siv_encrypt(hkdf_sha256(secret, "glyphveil/v1/aes-siv", 64), plain)
    assert base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode() == vector["token"]
    # Section 9: the noise seed leaves out the extensions byte (and, as ever, the expiry).
    body = plaintext_from_spec(vector["text"], vector["options"], None)
    noise_key = hkdf_sha256(secret, "glyphveil/v1/noise", 32)
    payload = unseal(vector["token"], keyring=KeyRing([vector["key"]]), now=vector.get("now"))
    assert payload.seed == hashlib.blake2b(body, key=noise_key, digest_size=16).digest()


@pytest.mark.parametrize("case", REVEAL_REJECTED, ids=[c["why"] for c in REVEAL_REJECTED])
def test_documented_bad_revealable_tokens_are_rejected(case: dict[str, str]) -> None:
    key = KeyRing([FIRST_KEY]).current
    raw = b64decode(case["token"])
    key.cipher.decrypt(raw[3:], None)  # authentic: only section 9's rules reject it
    with pytest.raises(InvalidToken):
        unseal(case["token"], keyring=KeyRing([FIRST_KEY, SECOND_KEY]), now=1_700_000_000)


def test_challenge_vector_from_the_document_alone() -> None:
    c = CHALLENGE
    secret = b64decode(c["key"])
    pow_key = hkdf_sha256(secret, "glyphveil/v1/pow", 32)
    assert pow_key.hex() == c["pow_key"]
    assert c["token"] == REVEALABLE[0]["token"] and c["expires"] == c["now"] + c["ttl"]
    key_id = hkdf_sha256(secret, "glyphveil/v1/key-id", 2)
    body = (
        b"\x01" + key_id + bytes([c["difficulty"]]) + struct.pack(">I", c["expires"])
    ) + bytes.fromhex(c["salt"])
    assert body.hex() == c["body"]
    bound = (
        hashlib.sha256(c["token"].encode()).digest() + hashlib.sha256(c["client"].encode()).digest()
    )
    tag = hmac.new(pow_key, body + bound, hashlib.sha256).digest()[:16]
    assert tag.hex() == c["tag"]
    assert base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode() == c["challenge"]

    def work(nonce: int) -> bytes:
        return hashlib.sha256(body + tag + struct.pack(">Q", nonce)).digest()

    def zero_bits(digest: bytes) -> int:
        return 256 - int.from_bytes(digest, "big").bit_length()

    assert work(c["nonce"]).hex() == c["work"]
    assert zero_bits(work(c["nonce"])) >= c["difficulty"]
    assert all(zero_bits(work(n)) < c["difficulty"] for n in range(c["nonce"]))


def test_challenge_vector_against_tokens_pow() -> None:
    from tokens.errors import InvalidChallenge
    from tokens.pow import issue, solve, verify

    c = CHALLENGE
    keyring = KeyRing([c["key"]])
    assert keyring.current.pow_key.hex() == c["pow_key"]
    challenge = issue(
        c["token"],
        c["client"],
        keyring.current,
        difficulty=c["difficulty"],
        ttl=c["ttl"],
        now=c["now"],
        salt=bytes.fromhex(c["salt"]),
    )
    assert challenge == c["challenge"]
    assert solve(challenge) == c["nonce"]
    verify(challenge, c["nonce"], c["token"], c["client"], keyring, now=c["expires"] - 1)
    with pytest.raises(InvalidChallenge):
        verify(challenge, c["nonce"], c["token"], c["client"], keyring, now=c["expires"])


# --- section 11: two lines -------------------------------------------------------------------


def _two_line_blocks() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    section = _section(DOC.read_text(encoding="utf-8"), "## 11. Two lines")
    blocks = _json_blocks(section)
    vectors = [block for block in blocks if isinstance(block, dict)]
    (cases,) = [block for block in blocks if isinstance(block, list)]
    return vectors, cases


TWO_LINES, BREAK_CASES = _two_line_blocks()
TWO_LINE_IDS = [f"two_lines{i + 1}" for i in range(len(TWO_LINES))]


def test_section_11_has_its_vectors() -> None:
    assert len(TWO_LINES) >= 3 and len(BREAK_CASES) >= 8
    assert all(v["options"]["lines"] == 2 for v in TWO_LINES)
    assert any(v["revealable"] for v in TWO_LINES) and any(v["expires"] for v in TWO_LINES)
    # The first is vector 1 on two lines: the same plaintext with 02 appended.
    assert TWO_LINES[0]["plaintext"] == VECTORS[0]["plaintext"] + "02"
    assert MACHINE["two_lines"] == TWO_LINES
    assert MACHINE["break_cases"] == BREAK_CASES


@pytest.mark.parametrize("vector", TWO_LINES, ids=TWO_LINE_IDS)
def test_two_line_vector_seals_and_unseals(vector: dict[str, Any]) -> None:
    keyring = KeyRing([vector["key"]])
    options = RenderOptions.build(**vector["options"])
    ttl = {} if vector["expires"] is None else {"ttl": vector["ttl"], "now": vector["now"]}
    token = seal(vector["text"], keyring, options, revealable=vector["revealable"], **ttl)
    assert token == vector["token"]
    payload = unseal(token, keyring=keyring, now=vector.get("now", 1_700_000_000))
    assert payload.options.to_dict() == vector["options"]
    assert payload.revealable is vector["revealable"]
    assert payload.seed.hex() == vector["seed"]
    assert list(tokens.sizes.break_lines(vector["text"])) == vector["lines"]


@pytest.mark.parametrize("vector", TWO_LINES, ids=TWO_LINE_IDS)
def test_two_line_vector_from_the_document_alone(vector: dict[str, Any]) -> None:
    one_line = {name: value for name, value in vector["options"].items() if name != "lines"}
    body = plaintext_from_spec(vector["text"], one_line, vector["expires"])
    extensions = 0x02 | (0x01 if vector["revealable"] else 0)
    plain = body + bytes([extensions])
    assert plain.hex() == vector["plaintext"]
    secret = b64decode(vector["key"])
    header = b"\x01" + hkdf_sha256(secret, "glyphveil/v1/key-id", 2)
    sealed = aes_siv_encrypt(hkdf_sha256(secret, "glyphveil/v1/aes-siv", 64), plain)
    assert base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode() == vector["token"]
    # Section 7: the seed covers the two-lines bit (not the revealable bit, nor the expiry).
    seeded = plaintext_from_spec(vector["text"], one_line, None) + b"\x02"
    noise_key = hkdf_sha256(secret, "glyphveil/v1/noise", 32)
    assert hashlib.blake2b(seeded, key=noise_key, digest_size=16).hexdigest() == vector["seed"]


@pytest.mark.parametrize("case", BREAK_CASES, ids=[c["text"] for c in BREAK_CASES])
def test_break_case(case: dict[str, Any]) -> None:
    assert list(tokens.sizes.break_lines(case["text"])) == case["lines"]


def test_section_12_states_the_noise_room_of_tokens_sizes() -> None:
    """The helpers in other languages size images from this table: it must be the one
    tokens.sizes uses."""
    section = _section(DOC.read_text(encoding="utf-8"), "## 12. Image sizes and markup")
    rows = re.findall(
        r"\|\s*(none|low|medium|high)\s*\|\s*([-\d.]+)\s*\|\s*([-\d.]+)\s*\|\s*(\d+)", section
    )
    stated = {
        name: (float(slack), float(tracking), int(floor)) for name, slack, tracking, floor in rows
    }
    room = tokens.sizes.NOISE_ROOM
    assert stated == {str(n): (r.slack, r.tracking, r.min_size) for n, r in room.items()}
    assert "multiple of `2 × size`" in section and tokens.sizes.BUCKET_EM == 2
    assert "wider than 288 px" in section and tokens.api.NARROW_FIT == 288
