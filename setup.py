"""Packaging lives in setup.cfg; this file only adds what setup.cfg cannot say.

fonts/ stays a top-level folder of the repository, and is installed as the package
``glyphveil_fonts``, a namespace package (no ``__init__.py``: the folder holds fonts
only) that ``server/render/fonts.py`` finds through importlib in a wheel, a ``pip install
--target`` and an editable install alike. setup.cfg's ``find:`` cannot
map a folder to another package name, so the package list is given here.
"""

import configparser

from setuptools import find_packages, setup

_config = configparser.ConfigParser()
_config.read("setup.cfg")
_patterns = _config["options.packages.find"]["include"].split()

setup(
    packages=[*find_packages(include=_patterns), "glyphveil_fonts"],
    package_dir={"glyphveil_fonts": "fonts"},
)
