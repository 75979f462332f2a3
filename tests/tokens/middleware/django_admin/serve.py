"""``python -m tests.tokens.middleware.django_admin.serve PORT``: migrate, add an admin
user and contacts, serve the project with wsgiref on 127.0.0.1:PORT."""

from __future__ import annotations

import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.tokens.middleware.django_admin.settings")

#: The values the admin shows: none may reach a harvester from a list page.
CONTACTS = [
    ("Amira Haddad", "amira.haddad@example.com", "+44 20 7946 0958"),
    ("Jonas Lindqvist", "jonas@lindqvist.example.org", "+46 8 123 456 78"),
    ("Chiara Bellini", "chiara.bellini@example.it", "+39 06 6982 1234"),
    ("Ravi Patel", "ravi.patel@example.co.uk", "020 7946 0321"),
]
NOTES = "order 100234567, v2.4.1 of 2024-01-05 from 192.168.0.12, @ravi, logo@2x.png"
USERS = [("admin", "admin@example.net"), ("editor", "editor.in.chief@example.org")]
PASSWORD = "correct horse battery staple"


def values() -> list[str]:
    return [v for _, email, phone in CONTACTS for v in (email, phone)] + [e for _, e in USERS]


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    from .contacts.models import Contact

    call_command("migrate", verbosity=0)
    if not User.objects.exists():
        for name, email in USERS:
            User.objects.create_superuser(name, email, PASSWORD)
        for name, email, phone in CONTACTS:
            Contact.objects.create(name=name, email=email, phone=phone, notes=NOTES)
    server = make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), handler_class=Quiet)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
