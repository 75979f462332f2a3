from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "tests.tokens.middleware.django_admin.contacts"
    label = "contacts"
