"""The app's configuration: its label is ``glyphveil``, not the default ``django``."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["GlyphveilConfig"]


class GlyphveilConfig(AppConfig):
    """``INSTALLED_APPS = [..., "tokens.django"]`` makes ``{% load glyphveil %}`` available."""

    name = "tokens.django"
    label = "glyphveil"
    verbose_name = "glyphveil protected text"
