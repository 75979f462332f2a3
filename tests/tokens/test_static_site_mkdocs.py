"""``glyphveil protect`` on a site MkDocs builds from pages nobody wrote for this test.

MkDocs' own documentation is not in its PyPI package, and only PyPI is reachable, so
the site is built (offline, by the ``mkdocs`` of the test extra) from real Markdown at
hand: this project's README and ``docs/*.md``, and the READMEs that MkDocs and
phonenumbers ship in their package metadata. They hold email addresses and phone
numbers in prose, tables and code samples, beside version numbers, dates, IP addresses,
``…@2x.png`` file names, decorators and ``@`` handles. MkDocs' search plugin is off: its
JSON index would hold every value, and the rewriter reads HTML only.

The values are found by an oracle independent of the rewriter: a harvester's loose email
regex (less file names like ``logo@2x.png``) and phonenumbers' own ``PhoneNumberMatcher``
(VALID, region GB) over the pages' text. The rewriter runs with ``code=True``, so code
samples are protected too. Counted and printed (``pytest -s``): values, misses, false
positives, and look-alikes (versions, dates, IPs, handles, file names) kept.
"""

from __future__ import annotations

import functools
import html
import http.server
import importlib.metadata
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import phonenumbers
import pytest

from tests.browser import launch_chromium
from tests.processes import KEY, Service
from tests.tokens.harvester import (
    ALL_LOADED_JS,
    EAGER_JS,
    EMAIL,
    IMAGES_JS,
    OUTLINE_JS,
    OVERFLOW_JS,
)
from tokens.cli import main

ROOT = Path(__file__).resolve().parents[2]
TAG = re.compile(r"<[^>]*>")
#: The token of each glyphveil ``<img>`` (its ``src`` comes first).
IMG = re.compile(r'<img src="[^"]*/t/([A-Za-z0-9_-]+)\.png"[^>]*class="glyphveil[ "]')
LOOKALIKES = [
    re.compile(r"\b\d+\.\d+\.\d+\b"),  # versions
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # dates
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),  # IPv4 addresses
    re.compile(r"[\w.-]+@\d(?:\.\d)?x\.\w+"),  # logo@2x.png
    re.compile(r"(?<![\w.])@[A-Za-z_][\w.]*"),  # decorators and handles
    re.compile(r"[\w.+-]+@[\w.-]+:[\w/~][\w/.~-]*"),  # git@github.com:owner/repo
]
FILE_NAME = re.compile(r"@\d(?:\.\d)?x\.|\.(?:png|jpe?g|gif|webp|svg|css|js)$", re.IGNORECASE)
CONFIG = """site_name: glyphveil
docs_dir: docs
site_dir: site
theme: mkdocs
plugins: []
"""


def text_of(page: str) -> str:
    """The text of a page as a reader sees it: no tags, references decoded."""
    return html.unescape(TAG.sub(" ", page))


def oracle_emails(page: str, *, markup: bool = True) -> set[str]:
    """A harvester's finds, less file names and ``git@github.com:owner/repo``; ``page``
    is HTML (its references decoded first) or, with ``markup=False``, text as shown."""
    text = html.unescape(page) if markup else page
    ssh = {m.group(1) for m in re.finditer(r"([\w.+-]+@[\w.-]+):[\w/~]", text)}
    return {e for e in EMAIL.findall(text) if not FILE_NAME.search(e) and e not in ssh}


def oracle_phones(page: str) -> set[str]:
    matcher = phonenumbers.PhoneNumberMatcher(
        text_of(page), "GB", leniency=phonenumbers.Leniency.VALID
    )
    return {match.raw_string for match in matcher}


def lookalikes(page: str) -> list[str]:
    text = text_of(page)
    return [found for pattern in LOOKALIKES for found in pattern.findall(text)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MkDocs site, built once; every test protects a copy of it."""
    project = tmp_path_factory.mktemp("mkdocs")
    docs = project / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("*.py", "*.json"))
    shutil.copyfile(ROOT / "README.md", docs / "index.md")
    for name in ("mkdocs", "phonenumbers"):
        readme = importlib.metadata.metadata(name).get_payload()
        assert isinstance(readme, str) and len(readme) > 1000
        (docs / f"{name}-readme.md").write_text(readme)
    (project / "mkdocs.yml").write_text(CONFIG)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return project / "site"


@pytest.fixture
def service(spawn: Callable[..., Service]) -> str:
    return spawn("--densities", "1,2").url("")


def pages(site: Path) -> dict[str, str]:
    return {
        str(path.relative_to(site)): path.read_text()
        for path in sorted(site.rglob("*.html"))
        if path.name != "404.html"
    }


@pytest.fixture
def pair(built: Path, tmp_path: Path, service: str) -> tuple[dict[str, str], dict[str, str]]:
    """The pages as MkDocs built them, and as ``glyphveil protect --out`` wrote them."""
    out = tmp_path / "public"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GLYPHVEIL_KEYS", KEY)
        status = main(
            ["protect", str(built), "--out", str(out), "--url", service, "--region", "GB", "--code"]
        )
    assert status == 0
    return pages(built), pages(out)


def test_no_misses_no_false_positives_and_the_lookalikes_kept(
    pair: tuple[dict[str, str], dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = pair
    assert before.keys() == after.keys() and len(before) >= 6
    totals = {"emails": 0, "phones": 0, "missed": 0, "false": 0, "lookalikes": 0, "lost": 0}
    problems = []
    for name, page in before.items():
        emails, phones = oracle_emails(page), oracle_phones(page)
        rewritten = after[name]
        missed = sorted(oracle_emails(rewritten) | oracle_phones(rewritten))
        kept_before, kept_after = lookalikes(page), lookalikes(rewritten)
        lost = [
            item for item in set(kept_before) if kept_after.count(item) < kept_before.count(item)
        ]
        images = len(IMG.findall(rewritten))
        # Every image is a value the oracle knows, or a second image of one (each
        # <source> of a <picture> has a token of its own: the <img>'s is counted).
        replaced = len(set(IMG.findall(rewritten)))
        false = max(0, replaced - len(emails) - len(phones))
        totals["emails"] += len(emails)
        totals["phones"] += len(phones)
        totals["missed"] += len(missed)
        totals["false"] += false
        totals["lookalikes"] += len(kept_before)
        totals["lost"] += len(lost)
        if missed or lost or false:
            problems.append((name, missed, lost, false))
        assert (images > 0) == bool(emails or phones), name
    with capsys.disabled():
        print(f"\nMkDocs site, {len(before)} pages: {totals}")
    assert problems == []


def test_a_second_run_changes_nothing(built: Path, tmp_path: Path, service: str) -> None:
    site = tmp_path / "site"
    shutil.copytree(built, site)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GLYPHVEIL_KEYS", KEY)
        arguments = ["protect", str(site), "--url", service, "--region", "GB", "--code"]
        assert main(arguments) == 0
        first = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
        assert main(arguments) == 0
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == first


@pytest.fixture
def served(
    built: Path, pair: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Both sites over HTTP on loopback ports."""
    servers = []
    for folder in (built, tmp_path / "public"):
        handler = functools.partial(Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield tuple(f"http://127.0.0.1:{s.server_port}/" for s in servers)  # type: ignore[misc]
    for server in servers:
        server.shutdown()
        server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


async def test_in_chromium_the_values_are_images_and_the_page_keeps_its_shape(
    served: tuple[str, str], pair: tuple[dict[str, str], dict[str, str]]
) -> None:
    from playwright.async_api import async_playwright

    original, protected = served
    _, after = pair
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 800})
            page.set_default_timeout(60_000)
            for name, html_text in after.items():
                count = len(IMG.findall(html_text))
                await page.goto(original + name, wait_until="load")
                outline_before = await page.evaluate(OUTLINE_JS)
                overflow_before = await page.evaluate(OVERFLOW_JS)
                await page.goto(protected + name, wait_until="load")
                await page.evaluate(EAGER_JS)
                await page.wait_for_function(ALL_LOADED_JS, timeout=30_000)
                images = await page.evaluate(IMAGES_JS)
                assert len(images) == count, name
                assert all(i["naturalWidth"] > 0 for i in images), name
                assert await page.evaluate(OUTLINE_JS) == outline_before, name
                assert await page.evaluate(OVERFLOW_JS) <= max(0, overflow_before), name
                text = await page.evaluate("document.body.innerText")
                assert not oracle_emails(text, markup=False), name
                assert not oracle_phones(html.escape(text)), name
        finally:
            await browser.close()
