from django.db import models


class Contact(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40)
    notes = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name
