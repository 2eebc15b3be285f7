"""The Django application of mixite's web layer."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mixite.web"
    label = "web"
    verbose_name = "mixite — application des partenaires"
    default_auto_field = "django.db.models.BigAutoField"
