"""Typed application state shared by the handlers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .config import Config
from .ops.cache import RenderCache
from .ops.rate_limit import RevealGuards

__all__ = ["CACHE", "CONFIG", "POOL", "REVEAL"]

CONFIG = web.AppKey("config", Config)
CACHE = web.AppKey("cache", RenderCache)
POOL = web.AppKey("pool", ThreadPoolExecutor)
REVEAL = web.AppKey("reveal", RevealGuards)
