from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from deals import notifications  # noqa: F401 - registers the outbox's e-mail handlers
