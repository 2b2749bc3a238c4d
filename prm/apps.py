from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from prm import api_schema, notifications  # noqa: F401 - registers extensions, handlers
