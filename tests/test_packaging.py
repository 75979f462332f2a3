"""The helper installs alone: ``import tokens`` needs nothing but ``cryptography``, and
each template helper needs only its own engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
    assert "ImportError: tokens.jinja needs Jinja2: pip install 'glyphveil[jinja]'" in result.stderr


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


def test_setup_cfg_keeps_server_dependencies_in_extras() -> None:
    import configparser

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    required = parser["options"]["install_requires"].split()
    assert [r for r in required if not r.startswith("cryptography")] == []
    extras = parser["options.extras_require"]
    for name in ("aiohttp", "Pillow", "Jinja2", "gunicorn", "prometheus_client"):
        assert name in extras["server"]
    assert extras["jinja"].split() == ["Jinja2>=3.1"]
    assert extras["django"].split() == ["Django>=4.2"]
    assert "aiohttp-jinja2>=1.6" in extras["example"].split()


def test_setup_cfg_ships_the_font_metrics_table() -> None:
    import configparser

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    assert "font_metrics.json" in parser["options.package_data"]["tokens"]
