"""Template tag libraries of the glyphveil app: ``glyphveil``."""
