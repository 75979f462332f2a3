"""Packaging: two distributions from one repository. ``glyphveil`` (the root) is the
website's helper: ``import tokens`` needs nothing but ``cryptography``, each template
helper only its own engine, and its wheel stays small. ``glyphveil-server``
(``packaging/glyphveil-server/``) is the service with its fonts, and adds ``glyphveil
serve`` by an entry point. The wheels that ``make dist`` builds install and run from a
fresh venv. Building and installing take about a minute, so a module fixture does them
once."""

from __future__ import annotations

import configparser
import io
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER_DIST = ROOT / "packaging" / "glyphveil-server"
#: The helper's wheel: tokens/ with its metrics table, about 85 kB in 0.1.0. The bound
#: leaves room to grow, and fails long before a font (the smallest is 60 kB, the bundled
#: ones 8.9 MB together) or the service slips back in.
HELPER_WHEEL_MAX_BYTES = 250_000

BLOCKER = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is blocked: the helper must not need it")

sys.meta_path.insert(0, Block())
"""

SERVER = {"aiohttp", "PIL", "gunicorn", "prometheus_client", "fontTools", "server"}
ENGINES = {"jinja2", "markupsafe", "django"}

USE_TOKENS = """
import tokens

keyring = tokens.KeyRing([tokens.generate_key()])
token = tokens.encode("jane@example.com", keyring=keyring, noise="high")
assert tokens.decode(token, keyring=keyring).text == "jane@example.com"
assert tokens.image_size("jane@example.com", tokens.RenderOptions(), 2)[0] > 300
print(tokens.img_tag("jane@example.com", "https://img.example.com", alt="email", keyring=keyring))
"""


def run_blocked(code: str, blocked: set[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing any of ``blocked`` fails."""
    return subprocess.run(
        [sys.executable, "-c", BLOCKER.format(blocked=sorted(blocked)) + code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_tokens_imports_without_server_dependencies(tmp_path: Path) -> None:
    result = run_blocked(USE_TOKENS, SERVER | ENGINES, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<img src="https://img.example.com/t/')


def test_jinja_helper_needs_jinja2_alone(tmp_path: Path) -> None:
    code = """
import jinja2, tokens
from tokens.jinja import install

env = jinja2.Environment(autoescape=True)
install(env, base_url="https://img.example.com", keyring=tokens.KeyRing([tokens.generate_key()]))
print(env.from_string("{{ 'jane@example.com' | protect }}").render())
"""
    result = run_blocked(code, SERVER | {"django"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<img src="https://img.example.com/t/')


def test_jinja_helper_without_jinja2_says_what_to_install(tmp_path: Path) -> None:
    result = run_blocked("import tokens.jinja", SERVER | ENGINES, tmp_path)
    assert result.returncode == 1
    assert "ImportError: tokens.jinja needs Jinja2: pip install 'Jinja2>=3.1'" in result.stderr


def test_django_app_needs_django_alone(tmp_path: Path) -> None:
    code = """
import django
from django.conf import settings
import tokens

settings.configure(
    INSTALLED_APPS=["tokens.django"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    GLYPHVEIL={"BASE_URL": "https://img.example.com", "KEYS": [tokens.generate_key()]},
)
django.setup()
from django.template import engines

page = "{% load glyphveil %}{% protect 'jane@example.com' %}"
print(engines["django"].from_string(page).render())
"""
    result = run_blocked(code, SERVER | {"jinja2"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<img src="https://img.example.com/t/')


def _setup_cfg(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(path / "setup.cfg")
    return parser


def test_the_helper_distribution_needs_cryptography_alone() -> None:
    helper = _setup_cfg(ROOT)
    assert helper["metadata"]["name"] == "glyphveil"
    required = helper["options"]["install_requires"].split()
    assert [r for r in required if not r.startswith("cryptography")] == []
    assert helper["options.packages.find"]["include"].split() == ["tokens", "tokens.*"]
    extras = helper["options.extras_require"]
    assert "server" not in extras  # the service is a distribution of its own
    assert extras["jinja"].split() == ["Jinja2>=3.1"]
    assert extras["django"].split() == ["Django>=4.2"]
    assert "aiohttp-jinja2>=1.6" in extras["example"].split()
    assert "font_metrics.json" in helper["options.package_data"]["tokens"]


def test_the_server_distribution_depends_on_the_helper_of_its_version() -> None:
    helper, service = _setup_cfg(ROOT), _setup_cfg(SERVER_DIST)
    assert service["metadata"]["name"] == "glyphveil-server"
    version = helper["metadata"]["version"]
    assert service["metadata"]["version"] == version
    required = [
        line.strip()
        for line in service["options"]["install_requires"].splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert f"glyphveil=={version}" in required
    for name in ("aiohttp", "Pillow>=11.3", "Jinja2", "gunicorn", "prometheus_client"):
        assert any(r.startswith(name) for r in required), name
    assert "serve = server.__main__:main" in service["options.entry_points"]["glyphveil.commands"]
    # Its packages are the repository's own folders, linked.
    assert (SERVER_DIST / "server").resolve() == ROOT / "server"
    assert (SERVER_DIST / "glyphveil_fonts").resolve() == ROOT / "fonts"


def test_make_dist_builds_both_distributions() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\ndist:", 1)[1].split("\n\n", 1)[0]
    assert "$(PY) -m build --no-isolation --outdir dist .\n" in recipe
    assert "$(PY) -m build --no-isolation --outdir dist $(SERVER_DIST)" in recipe


# --- the wheel: built, installed in a fresh venv, run from its console script ------------------


class Installed:
    """Both distributions built by ``python -m build`` (sdists, and wheels from them), and
    a fresh venv holding the helper's wheel."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dist = root / "dist"
        self.venv = root / "venv"
        self.bin = self.venv / "bin"
        self.python = self.bin / "python"

    @property
    def wheel(self) -> Path:
        """The helper's wheel."""
        (wheel,) = self.dist.glob("glyphveil-*-py3-none-any.whl")
        return wheel

    @property
    def server_wheel(self) -> Path:
        (wheel,) = self.dist.glob("glyphveil_server-*-py3-none-any.whl")
        return wheel

    def run(
        self, *args: str | Path, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run in an empty directory, with nothing of the checkout on the path."""
        environ = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.root), **env}
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.root / "work",
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pip(self, *args: str | Path) -> None:
        """``pip install`` into the venv, run by this interpreter's pip (the venv has none
        of its own, which saves the slowest part of making one)."""
        result = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(self.python), "install", "--quiet"]
            + [str(a) for a in args],
            cwd=self.root / "work",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build each sdist and, from it, the wheel, as ``make dist`` does; install the
    helper's wheel alone (``cryptography`` and nothing else) into a fresh venv."""
    place = Installed(tmp_path_factory.mktemp("wheel"))
    (place.root / "work").mkdir()
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(place.dist)]
    for project in (ROOT, SERVER_DIST):
        built = subprocess.run(
            [*build, str(project)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(place.venv)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    place.pip(place.wheel)
    return place


def test_the_helper_wheel_is_small_and_holds_the_helper_alone(installed: Installed) -> None:
    import tarfile
    import zipfile

    assert installed.wheel.stat().st_size < HELPER_WHEEL_MAX_BYTES
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        packages = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith("-info")}
        assert packages == {"tokens"}
        assert "tokens/font_metrics.json" in names and "tokens/py.typed" in names
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "glyphveil = tokens.cli:main" in wheel.read(entry_points).decode()
    (sdist,) = installed.dist.glob("glyphveil-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"setup.py", "setup.cfg", "pyproject.toml", "tokens/keys.py"} <= members
    assert not any(m.startswith(("server/", "fonts/", "tests/", "packaging/")) for m in members)


def test_the_server_wheel_holds_the_service_and_the_fonts(installed: Installed) -> None:
    import tarfile
    import zipfile

    with zipfile.ZipFile(installed.server_wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(next(n for n in names if n.endswith("/METADATA"))).decode()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "serve = server.__main__:main" in wheel.read(entry_points).decode()
    fonts = {p.name for p in (ROOT / "fonts").iterdir() if p.suffix in (".ttf", ".otf")}
    assert fonts and {f"glyphveil_fonts/{name}" for name in fonts} <= names
    assert "server/http/templates/home.html" in names
    assert not any(n.startswith(("tokens/", "tests/", "clients/", "bench/")) for n in names)
    assert "Requires-Dist: glyphveil==0.1.0" in metadata.splitlines()
    (sdist,) = installed.dist.glob("glyphveil_server-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"setup.cfg", "pyproject.toml", "glyphveil_fonts/DejaVuSans.ttf"} <= members
    assert "server/__main__.py" in members


def test_the_helper_installs_with_cryptography_alone(installed: Installed) -> None:
    script = (
        "import importlib.util, tokens\n"
        "assert importlib.util.find_spec('server') is None\n"
        "assert importlib.util.find_spec('glyphveil_fonts') is None\n"
        "ring = tokens.KeyRing([tokens.generate_key()])\n"
        "print(tokens.img_tag('jane@example.com', 'https://img.example.com', alt='e', "
        "keyring=ring))\n"
    )
    result = installed.run(installed.python, "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<img src="https://img.example.com/t/')
    listed = installed.run(
        installed.python,
        "-c",
        "import importlib.metadata as m; print(*sorted(d.name.lower() for d in m.distributions()))",
    )
    assert set(listed.stdout.split()) == {"glyphveil", "cryptography", "cffi", "pycparser"}


def test_serve_without_the_server_distribution_says_what_to_install(
    installed: Installed,
) -> None:
    result = installed.run(installed.bin / "glyphveil", "serve", "--port", "0")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "glyphveil serve: the service is not installed: install the glyphveil-server "
        "distribution (`make dist` builds its wheel; README.md, Install)\n"
    )
    result = installed.run(installed.python, "-m", "server", "--port", "0")
    assert result.returncode == 1
    assert "No module named server" in result.stderr
    key = installed.run(installed.bin / "glyphveil", "keygen")
    assert key.returncode == 0 and len(key.stdout.strip()) == 43


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_installed_service_finds_its_fonts_and_draws_a_token(installed: Installed) -> None:
    installed.pip(installed.wheel, installed.server_wheel)  # as README.md says
    usage = installed.run(installed.bin / "glyphveil", "serve", "--help")
    assert usage.returncode == 0 and usage.stdout.startswith("usage: glyphveil serve ")
    where = installed.run(
        installed.python, "-c", "import server.render.fonts as f; print(f.FONTS_DIR)"
    )
    assert where.returncode == 0, where.stderr
    fonts_dir = Path(where.stdout.strip())
    assert fonts_dir.is_relative_to(installed.venv) and fonts_dir.name == "glyphveil_fonts"
    key = installed.run(installed.bin / "glyphveil", "keygen").stdout.strip()
    token = installed.run(
        installed.bin / "glyphveil", "encode", "jane@example.com", GLYPHVEIL_KEYS=key
    )
    assert token.returncode == 0, token.stderr
    port = _free_port()
    service = subprocess.Popen(
        [str(installed.bin / "glyphveil"), "serve", "--port", str(port)],
        cwd=installed.root / "work",
        env={"PATH": f"{installed.bin}:/usr/bin:/bin", "GLYPHVEIL_KEYS": key},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = _get_when_up(f"http://127.0.0.1:{port}/t/{token.stdout.strip()}.png", service)
    finally:
        service.terminate()
        _, stderr = service.communicate(timeout=30)
    assert body.startswith(b"\x89PNG\r\n\x1a\n"), stderr
    from PIL import Image

    with Image.open(io.BytesIO(body)) as image:
        assert image.width > 100 and image.height > 16
    assert "Traceback" not in stderr


def _get_when_up(url: str, service: subprocess.Popen[str]) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "image/png"
                body: bytes = response.read()
                return body
        except (ConnectionError, urllib.error.URLError):
            assert service.poll() is None, "the service exited"
            assert time.monotonic() < deadline, "the service did not answer in 30 s"
            time.sleep(0.2)


def test_fonts_are_found_under_pip_install_target(installed: Installed) -> None:
    target = installed.root / "target"
    installed.pip("--no-deps", "--target", target, installed.wheel, installed.server_wheel)
    script = (
        "import server.render.fonts as f, server.render.text as t\n"
        "print(f.FONTS_DIR)\n"
        "assert all(path.is_file() for path in (*f.FAMILIES.values(), *f.FALLBACKS))\n"
    )
    result = installed.run(installed.python, "-c", script, PYTHONPATH=str(target))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == target / "glyphveil_fonts"
