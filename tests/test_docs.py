"""What README.md and the docs tell a newcomer holds: the install lines name the files
``make dist`` builds, no text points at commands or extras that do not exist, the Jinja2
snippet runs with what its install line installs, every placeholder URL of the README is
served, and speed figures name the ``cryptography`` they were measured with."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fetching import fetch

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    """The README's text under the heading ``title``, up to the next heading of its level."""
    level, _ = title.split(" ", 1)
    start = README.index(f"\n{title}\n")
    end = README.find(f"\n{level} ", start + len(title) + 2)
    return README[start : end if end != -1 else None]


def run_python(code: str, cwd: Path, **env: str) -> None:
    """Run ``code`` in a fresh interpreter with only this checkout on its path."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", **env},
    )
    assert result.returncode == 0, result.stderr


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def version(project: Path) -> str:
    parser = configparser.ConfigParser()
    parser.read(project / "setup.cfg")
    return parser["metadata"]["version"]


def test_the_install_lines_name_the_wheels_make_dist_builds() -> None:
    helper = f"dist/glyphveil-{version(ROOT)}-py3-none-any.whl"
    server = f"dist/glyphveil_server-{version(ROOT / 'packaging' / 'glyphveil-server')}"
    install = code_blocks(section("## The token helper"), "sh")[0]
    assert f"pip install {helper}     # on the website" in install
    assert f"pip install {helper} {server}-py3-none-any.whl" in install
    for wheel in re.findall(r"dist/glyphveil[-_a-z]*-[0-9.]+-py3-none-any\.whl", README):
        assert wheel in (helper, f"{server}-py3-none-any.whl"), wheel


# Text a user reads: the docs, the home page, and every message of the packages.
READ_BY_USERS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "tokens").rglob("*.py")),
    *sorted((ROOT / "server").rglob("*.py")),
    *sorted((ROOT / "server" / "http" / "templates").glob("*.html")),
    *sorted((ROOT / "examples" / "site").glob("*.py")),
]


@pytest.mark.parametrize(
    "stale",
    [
        "glyphveil[server",  # there is no such extra: the service is glyphveil-server
        "pip install 'glyphveil[",  # glyphveil is not on PyPI: extras go on the wheel's path
        "pip install glyphveil[",
        "python -m tokens keygen`)",  # error messages name the installed command
        "put a new key first",  # rotation: second on the service first, then first on the site
        ".glyphveil/dev.keys",  # the development key is the user's, not the folder's
        "over 3x as fast as Fernet",
        "[server,uvloop]",
    ],
)
def test_no_text_points_at_what_does_not_exist(stale: str) -> None:
    found = [str(p.relative_to(ROOT)) for p in READ_BY_USERS if stale in p.read_text()]
    assert found == []


BLOCK_SERVER = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"aiohttp", "aiohttp_jinja2", "PIL", "server", "django"}:
            raise ImportError(f"{name} is not installed by the [jinja] extra")

sys.meta_path.insert(0, Block())
import tokens
tokens.keys._default = tokens.KeyRing([tokens.generate_key()])
"""


def test_the_jinja2_snippet_runs_with_the_jinja_extra_alone(tmp_path: Path) -> None:
    jinja = section("### Jinja2")
    assert "[jinja]" in jinja
    (snippet,) = code_blocks(jinja, "python")
    (template,) = code_blocks(jinja, "jinja")
    check = (
        "page = env.from_string(TEMPLATE).render(member={'email': 'a@example.com', "
        "'phone': '+44 20 7946 0958'}, item={'price': '£1,299'})\n"
        "assert page.count('<img src=\"https://img.example.com/t/') == 3, page\n"
    )
    code = BLOCK_SERVER + snippet + f"TEMPLATE = {template!r}\n" + check
    run_python(code, tmp_path)


async def test_every_placeholder_url_of_the_readme_is_served(client) -> None:
    (grammar,) = code_blocks(section("## Placeholders"), "")
    paths = [line.split()[0] for line in grammar.splitlines() if line.startswith("/")]
    assert "/300x200/svg" in paths and len(paths) >= 7
    for path in paths:
        response, body = await fetch(client, path)
        assert response.status == 200, (path, body)
        assert response.headers["Content-Type"].startswith("image/"), path
    for ending in (".svg", ".avif", "/svg", "/avif"):  # placehold.co's formats
        response, _ = await fetch(client, f"/300x200{ending}")
        assert response.status == 200, ending


def test_fernet_figures_name_the_cryptography_they_were_measured_with() -> None:
    tokens_md = (ROOT / "docs" / "tokens.md").read_text()
    fernet = tokens_md[tokens_md.index("### Why not Fernet") :]
    fernet = fernet[: fernet.index("\n### ", 5)]
    assert re.search(r"`cryptography` \d+\.\d+\.\d+", fernet)
    assert "bench/tokens_speed.py" in fernet
    row = next(line for line in README.splitlines() if line.startswith("| `bench/tokens_speed.py`"))
    assert re.search(r"`cryptography` \d+\.\d+\.\d+", row)


def test_the_token_helpers_python_runs_as_written(tmp_path: Path) -> None:
    """The README's first Python examples, with a key in the environment as a site has."""
    blocks = code_blocks(README[: README.index("\n## Use it in your site")], "python")
    code = "\n".join(block for block in blocks if block.startswith("import tokens"))
    assert code.count("tokens.") >= 5
    run_python(code, tmp_path, GLYPHVEIL_KEYS="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
