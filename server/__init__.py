"""glyphveil server: renders protected text and placeholder images, in memory.

Run it with ``python -m server``, or build the app yourself::

    from server import Config, create_app
    app = create_app(Config.from_env())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import ConfigError, RequestError, ServerError

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["Config", "ConfigError", "RequestError", "ServerError", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so ``python -m server`` can set PROMETHEUS_MULTIPROC_DIR
    # before prometheus_client (imported by .app) is loaded.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
