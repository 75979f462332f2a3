"""``glyphveil protect DIR`` (tokens.static_site through the CLI) on a small built site."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import tokens
from tokens.cli import main

PAGES = {
    "index.html": "<html><body><p>Mail jane@example.com</p><img src=logo@2x.png></body></html>",
    "about/index.html": "<p>Call +44 20 7946 0958 or <a href='mailto:bob@example.org'>Bob</a></p>",
    "about/old.htm": "<p>Version 1.2.3 of 2024-01-05.</p>",
    "latin.html": '<meta charset="iso-8859-1"><p>Caf\u00e9 jane@example.com</p>',
    "assets/app.js": "const mail = 'jane@example.com';",
    "assets/logo@2x.png": "\x89PNG",
}


@pytest.fixture
def built(tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GLYPHVEIL_KEYS", key)
    site = tmp_path / "site"
    for name, text in PAGES.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("latin-1" if name == "latin.html" else "utf-8"))
    return site


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["protect", *args])
    return status, capsys.readouterr().out.splitlines()


def test_in_place_with_a_report_per_file_and_nothing_on_a_second_run(
    built: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    status, lines = run(capsys, str(built), "--url", "https://img.example.com", "--region", "GB")
    assert status == 0
    assert lines == [
        "index.html: 1 email address",
        "latin.html: 1 email address",
        "about/index.html: 1 email address, 1 phone number",
        "4 HTML files: 3 rewritten, 1 unchanged",
    ]
    page = (built / "index.html").read_text()
    token = re.search(r"/t/([A-Za-z0-9_-]+)\.png", page)
    assert token is not None
    assert tokens.decode(token.group(1), keyring=tokens.KeyRing([key])).text == "jane@example.com"
    assert "<img src=logo@2x.png>" in page and "jane@" not in page
    assert (built / "latin.html").read_bytes().startswith(b'<meta charset="iso-8859-1"><p>Caf\xe9 ')
    assert "href" not in (built / "about/index.html").read_text()
    assert (built / "assets/app.js").read_text() == PAGES["assets/app.js"]
    stamps = {p: p.stat().st_mtime_ns for p in built.rglob("*")}
    status, lines = run(capsys, str(built), "--url", "https://img.example.com", "--region", "GB")
    assert (status, lines) == (0, ["4 HTML files: 0 rewritten, 4 unchanged"])
    assert {p: p.stat().st_mtime_ns for p in built.rglob("*")} == stamps


def test_into_another_folder_the_source_stays_and_every_file_is_copied(
    built: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "public"
    before = {p: p.read_bytes() for p in built.rglob("*") if p.is_file()}
    status, lines = run(capsys, str(built), "--url", "/glyphs", "--out", str(out))
    assert status == 0 and lines[-1] == "4 HTML files: 3 rewritten, 1 unchanged"
    assert {p: p.read_bytes() for p in built.rglob("*") if p.is_file()} == before
    copied = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert copied == sorted(PAGES)
    assert 'src="/glyphs/t/' in (out / "index.html").read_text()


def test_a_bad_marker_fails_that_file_alone(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (built / "bad.html").write_text("<span data-glyphveil data-glyphveil-size=huge>£1</span>")
    status, lines = run(capsys, str(built), "--url", "https://img.example.com")
    assert status == 1
    assert "bad.html: error: line 1: data-glyphveil-size must be a number of px" in lines[0]
    assert lines[-1] == "5 HTML files: 3 rewritten, 1 unchanged, 1 failed"


def test_what_is_left_in_place_is_reported(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (built / "code.html").write_text("<pre>jane@example.com</pre><!-- bob@example.org -->")
    _, lines = run(capsys, str(built), "--url", "https://img.example.com")
    assert "code.html: nothing; 2 left in <pre>, comment" in lines


def test_compact_and_dark_choose_the_pictures(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = run(capsys, str(built), "--url", "https://img.example.com", "--compact", "never")
    assert status == 0
    page = (built / "index.html").read_text()  # "Mail jane@example.com": inside text
    assert "glyphveil-compact" not in page and "prefers-color-scheme" not in page
    for name in PAGES:
        if name.endswith(".html"):
            (built / name).write_bytes(
                PAGES[name].encode("latin-1" if "latin" in name else "utf-8")
            )
    status, _ = run(capsys, str(built), "--url", "https://img.example.com", "--dark")
    page = (built / "index.html").read_text()
    assert status == 0
    assert 'class="glyphveil glyphveil-compact"' in page
    assert '<source media="(prefers-color-scheme: dark)"' in page


def test_bad_arguments(built: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["protect", str(tmp_path / "missing"), "--url", "https://x.example"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["protect", str(built), "--url", "https://x.example", "--out", str(built / "o")])
    assert exited.value.code == 2
    assert "must be outside" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["protect", str(built), "--url", "https://x.example", "--region", "XX"])
    assert "unknown phone region 'XX'" in capsys.readouterr().err
    assert not any(name.startswith(".glyphveil-") for name in os.listdir(built))
