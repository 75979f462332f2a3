"""An example website (aiohttp + aiohttp-jinja2) that protects its contact details and
prices with the Jinja2 helper: ``python -m examples.site`` or ``make example``."""
