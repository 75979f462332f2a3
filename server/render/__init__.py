"""Pure drawing and encoding: arguments in, an image or bytes out.

No aiohttp, asyncio or metrics here; it may import ``tokens``, ``server.config`` and
``server.errors`` only. Import from the defining module.
"""
