"""Reveal's state in Redis, shared by every worker and every instance (``GLYPHVEIL_REDIS_URL``).

Each operation is one Lua script, so it runs atomically whatever the number of processes,
and reads the clock from Redis (``TIME``), so that every instance counts on the same one.
Every key expires on its own: a bucket once it would be full again (a minute), a spent
challenge a minute after the challenge itself, a window's count after two windows.

Keys, under ``glyphveil:reveal:``: ``bucket:<route>:<group>`` and ``value:<seed hex>``
(token buckets), ``spent:<tag hex>``, ``count:group:<group>:<window>`` and
``count:site:<window>``. They hold client networks, render seeds and challenge tags,
never a text. The count keys are built inside the scripts, so the store needs a plain
Redis (or Sentinel), not a Cluster.

When Redis does not answer (stopped, restarting, unreachable) every call raises
:class:`~server.ops.rate_limit.StoreUnavailable` within twice :data:`TIMEOUT` seconds (one
immediate retry); the connection pool reconnects by itself once Redis is back.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tokens.pow import Challenge

from .rate_limit import WINDOW, RevealLimits, RevealStore, StoreUnavailable

__all__ = ["PREFIX", "TIMEOUT", "RedisRevealStore"]

log = logging.getLogger("glyphveil.reveal")

PREFIX = "glyphveil:reveal:"
#: Seconds to connect to Redis, or to wait for an answer, before reveal answers 503.
TIMEOUT = 1.0
#: Seconds a spent challenge is remembered after its own expiry: room for clocks that
#: differ between instances.
SPENT_MARGIN = 60

_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
"""

# take(key, per_minute, spend): a token bucket in a hash {tokens, at}; the wait in seconds.
_BUCKET = """
local function take(key, per_minute, spend)
  local rate = per_minute / 60
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or per_minute
  local at = tonumber(state[2]) or now
  tokens = math.min(per_minute, tokens + math.max(0, now - at) * rate)
  local wait = 0
  if tokens >= 1 then
    if spend then tokens = tokens - 1 end
  else
    wait = math.max(1, math.ceil((1 - tokens) / rate))
  end
  if spend or wait > 0 then
    redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
    redis.call('EXPIRE', key, 61)
  end
  return wait
end
"""

_WINDOWS = """
local window = tonumber(ARGV[#ARGV])
local index = math.floor(now / window)
local function recent(prefix)
  local current = tonumber(redis.call('GET', prefix .. index)) or 0
  local previous = tonumber(redis.call('GET', prefix .. (index - 1))) or 0
  return current + previous * (1 - (now - index * window) / window)
end
local function count(prefix)
  redis.call('INCR', prefix .. index)
  redis.call('EXPIRE', prefix .. index, 2 * window + 1)
end
"""

# KEYS: bucket. ARGV: per_minute.
ADMIT = _NOW + _BUCKET + "return take(KEYS[1], tonumber(ARGV[1]), true)\n"

# KEYS: group count prefix, site count prefix. ARGV: window.
RECENT = _NOW + _WINDOWS + "return {tostring(recent(KEYS[1])), tostring(recent(KEYS[2]))}\n"

# KEYS: spent, value bucket, group count prefix, site count prefix.
# ARGV: spent ttl (ms), value per_minute, window.
SPEND = (
    _NOW
    + _BUCKET
    + _WINDOWS
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local wait = take(KEYS[2], tonumber(ARGV[2]), true)  -- spends only when it can
if wait > 0 then return wait end
redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
count(KEYS[3])
count(KEYS[4])
return 0
"""
)


class RedisRevealStore(RevealStore):
    """:class:`~server.ops.rate_limit.RevealStore` on the Redis at ``url``."""

    def __init__(self, limits: RevealLimits, url: str, *, timeout: float = TIMEOUT) -> None:
        super().__init__(limits)
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One retry, at once: after Redis restarts, a pooled connection fails once
            # before it reconnects. No more: while Redis is down, reveal answers 503 fast.
            retry=Retry(NoBackoff(), 1),
            health_check_interval=30,
        )
        self._admit = self.client.register_script(ADMIT)
        self._recent = self.client.register_script(RECENT)
        self._spend = self.client.register_script(SPEND)
        self._down = False

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            result = await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            if not self._down:
                self._down = True
                log.warning("reveal store unreachable, reveal answers 503: %s", type(exc).__name__)
            raise StoreUnavailable("the reveal store does not answer") from None
        if self._down:
            self._down = False
            log.warning("reveal store reachable again")
        return result

    async def admit(self, route: str, group: str) -> int:
        keys = [f"{PREFIX}bucket:{route}:{group}"]
        return int(await self._run(self._admit, keys, [self.limits.client_rate]))

    async def recent(self, group: str) -> tuple[float, float]:
        keys = [f"{PREFIX}count:group:{group}:", f"{PREFIX}count:site:"]
        group_reveals, site_reveals = await self._run(self._recent, keys, [WINDOW])
        return float(group_reveals), float(site_reveals)

    async def spend(self, challenge: Challenge, seed: bytes, group: str) -> int:
        ttl_ms = max(1, round((challenge.expires - time.time() + SPENT_MARGIN) * 1000))
        keys = [
            f"{PREFIX}spent:{challenge.tag.hex()}",
            f"{PREFIX}value:{seed.hex()}",
            f"{PREFIX}count:group:{group}:",
            f"{PREFIX}count:site:",
        ]
        args = [ttl_ms, self.limits.value_rate, WINDOW]
        return int(await self._run(self._spend, keys, args))

    async def close(self) -> None:
        await self.client.aclose()
