"""Process resources with a lifecycle: the render pool and jobs, the cache, metrics.

Imports point one way: ``ops`` may import ``render``, ``config``, ``errors`` and
``state``, never ``http``. Import from the defining module.
"""
