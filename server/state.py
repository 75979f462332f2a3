"""Typed application state shared by the handlers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .config import Config
from .ops.cache import RenderCache
from .ops.rate_limit import RevealGuards
from .ops.verified import VerifiedTokens

__all__ = ["CACHE", "CONFIG", "POOL", "REVEAL", "VERIFIED"]

CONFIG = web.AppKey("config", Config)
CACHE = web.AppKey("cache", RenderCache)
POOL = web.AppKey("pool", ThreadPoolExecutor)
VERIFIED = web.AppKey("verified", VerifiedTokens)
REVEAL = web.AppKey("reveal", RevealGuards)
