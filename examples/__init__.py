"""Example code that uses glyphveil the way a website would."""
