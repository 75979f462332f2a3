"""glyphveil server: renders protected text and placeholder images, in memory.

Run it with ``python -m server``, or build the app yourself::

    from server import Config, create_app
    app = create_app(Config.from_env())
"""

from .app import create_app
from .config import Config
from .errors import ConfigError, RequestError, ServerError

__all__ = ["Config", "ConfigError", "RequestError", "ServerError", "create_app"]
