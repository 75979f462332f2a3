"""aiohttp-facing code: parse the URL, call :mod:`server.ops`, build the response.

Imports point one way: ``http`` may import ``ops``, ``render``, ``config``, ``errors`` and
``state``; nothing below imports ``http``. Import from the defining module.
"""
