"""Switching the default connection to the owner role, for migrations only.

The application always runs as the app role (no superuser, no BYPASSRLS, not the owner).
Schema changes need the owner; ``as_owner()`` swaps the credentials of the ``default``
connection for the duration and closes the connection on both sides of the swap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.conf import settings
from django.db import connections


def owner_credentials() -> dict[str, str]:
    parsed = dj_database_url.parse(settings.DATABASE_OWNER_URL)
    return {key: parsed[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}


@contextmanager
def as_owner(alias: str = "default") -> Iterator[None]:
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key) for key in ("USER", "PASSWORD", "HOST",
                                                                 "PORT")}
    connection.close()
    connection.settings_dict.update(owner_credentials())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def grant_app_role(connection) -> None:
    """Give the app role data access (never TRUNCATE, which skips row-level security)."""
    role = settings.PRM_APP_DB_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
                       [role])
        user, exists = cursor.fetchone()
        if user == role or not exists:
            return
        quoted = connection.ops.quote_name(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        # The app never writes the migration history.
        cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {quoted}")
