"""The Django app of glyphveil: ``{% load glyphveil %}{% protect user.email %}``.

Add ``"tokens.django"`` to ``INSTALLED_APPS`` (its label is ``glyphveil``) and configure
it in ``settings.GLYPHVEIL``; see :mod:`tokens.django.templatetags.glyphveil`. Only this
package imports Django (``pip install 'Django>=4.2'``); callers import from the
defining modules.
"""
