"""Typed application state shared by the handlers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .config import Config
from .ops.admission import Admission
from .ops.cache import RenderCache
from .ops.rate_limit import RevealGuards
from .ops.verified import VerifiedTokens

__all__ = ["ADMISSION", "CACHE", "CONFIG", "PLACEHOLDER_CACHE", "POOL", "REVEAL", "VERIFIED"]

CONFIG = web.AppKey("config", Config)
CACHE = web.AppKey("cache", RenderCache)  # token images
PLACEHOLDER_CACHE = web.AppKey("placeholder_cache", RenderCache)  # its own budget
ADMISSION = web.AppKey("admission", Admission)
POOL = web.AppKey("pool", ThreadPoolExecutor)
VERIFIED = web.AppKey("verified", VerifiedTokens)
REVEAL = web.AppKey("reveal", RevealGuards)
