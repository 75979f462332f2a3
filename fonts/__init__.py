"""The bundled fonts, as package data: installed as ``glyphveil_fonts`` (setup.py maps
this folder to that name), found with :mod:`importlib.resources` by
``server/render/fonts.py``. No code lives here."""

__all__: list[str] = []
