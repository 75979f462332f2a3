"""The live key ring: read from the environment, swapped on SIGHUP without a restart.

Views read ``request.app[KEYS].current`` on every request, never a copy kept from
start-up, so a reload takes effect at the next request while requests under way finish
with the ring they began with. A reload that cannot read the new keys logs one line and
keeps the old ones in force: a bad edit to the keys file never stops the service.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from tokens import KeyRing, TokenError

__all__ = ["KeyStore", "live_keys"]

log = logging.getLogger("glyphveil.keys")


class KeyStore:
    """One process's current :class:`~tokens.KeyRing` and where to read a new one.

    ``source`` is called by :meth:`reload`; ``None`` means fixed keys (a reload keeps
    them), for an application built with an explicit key ring.
    """

    def __init__(
        self, keyring: KeyRing, source: Callable[[], KeyRing] | None = KeyRing.from_env
    ) -> None:
        self._keyring = keyring
        self.source = source

    @classmethod
    def from_env(cls) -> KeyStore:
        """Keys from ``GLYPHVEIL_KEYS``/``GLYPHVEIL_KEYS_FILE``, reloaded from there."""
        return cls(KeyRing.from_env())

    @property
    def current(self) -> KeyRing:
        """The key ring in force: its first key mints, all of its keys decode."""
        return self._keyring

    def reload(self) -> bool:
        """Read the keys again; on any error log one line and keep the old ones.

        Returns whether the new keys are now in force. The log never holds key material:
        :class:`~tokens.KeyConfigError` names the variable or file, not the key.
        """
        if self.source is None:
            log.warning("keys not reloaded: this application was given fixed keys")
            return False
        try:
            keyring = self.source()
        except TokenError as exc:
            log.error("keys not reloaded, the old keys stay in force: %s", exc)
            return False
        self._keyring = keyring
        log.info("keys reloaded: %d key(s) in force", len(keyring.keys))
        return True


async def live_keys(app: web.Application) -> AsyncIterator[None]:
    """Read the keys when the application starts unless it was given some; reload on SIGHUP.

    Fixed keys (a :class:`KeyStore` without a source) leave SIGHUP alone. Reading at
    start means that a gunicorn worker built without keys loads them itself, so the new
    workers of a gunicorn HUP hold the keys of that moment. A HUP sent to one worker
    reloads that worker's keys in place.
    """
    # Imported here: the state imports the metrics, which must load only after the
    # gunicorn master has set PROMETHEUS_MULTIPROC_DIR, and the master makes a KeyStore.
    from ..state import KEYS

    if KEYS not in app:
        app[KEYS] = KeyStore.from_env()
    store = app[KEYS]
    loop = asyncio.get_running_loop()
    installed = False
    if store.source is not None:
        try:
            loop.add_signal_handler(signal.SIGHUP, store.reload)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
        else:
            installed = True
    yield
    if installed:
        loop.remove_signal_handler(signal.SIGHUP)
