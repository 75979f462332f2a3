"""Packaging lives in setup.cfg (the helper, ``glyphveil``); the service is the
distribution ``glyphveil-server`` in ``packaging/glyphveil-server/``."""

from setuptools import setup

setup()
