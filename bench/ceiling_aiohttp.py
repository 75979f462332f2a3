"""The ceiling for cache hits: the least an aiohttp app can do to answer with an image.

The other side of ``bench/suite.py --only ceiling``, served by gunicorn with 2 workers of
the class glyphveil runs on the same event loop (``server.ops.gunicorn.WORKER_CLASSES``):

    GLYPHVEIL_CEILING_BODY=/path/to/image.png gunicorn --chdir bench -w 2 \
        -k server.ops.gunicorn.BalancedWebWorker ceiling_aiohttp:create_app

Every path answers with the bytes of the file named by ``GLYPHVEIL_CEILING_BODY`` (the
suite passes the very PNG that glyphveil serves for its token), looked up in a dict.
"""

from __future__ import annotations

import os
from pathlib import Path

from aiohttp import web

__all__ = ["create_app"]


async def create_app() -> web.Application:
    images = {"image": Path(os.environ["GLYPHVEIL_CEILING_BODY"]).read_bytes()}

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=images["image"], content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", image)
    return app
