"""Typed application state shared by the handlers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

from .config import Config
from .ops.admission import Admission
from .ops.cache import RenderCache
from .ops.rate_limit import RevealStore
from .ops.verified import VerifiedTokens

if TYPE_CHECKING:
    from .ops.keystore import KeyStore

__all__ = [
    "ADMISSION",
    "CACHE",
    "CONFIG",
    "KEYS",
    "PLACEHOLDER_CACHE",
    "POOL",
    "REVEAL",
    "VERIFIED",
]

CONFIG = web.AppKey("config", Config)
CACHE = web.AppKey("cache", RenderCache)  # token images
PLACEHOLDER_CACHE = web.AppKey("placeholder_cache", RenderCache)  # its own budget
ADMISSION = web.AppKey("admission", Admission)
POOL = web.AppKey("pool", ThreadPoolExecutor)
#: The live keys: read ``app[KEYS].current`` at each request, never keep it.
KEYS: web.AppKey[KeyStore] = web.AppKey("keys")
VERIFIED = web.AppKey("verified", VerifiedTokens)
#: Reveal's limits and spent challenges: in memory, or shared through Redis.
REVEAL: web.AppKey[RevealStore] = web.AppKey("reveal")
