"""The throw-away database every bench runs on, created like the test suite's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def throwaway_database() -> Iterator[None]:
    """Create the test database as the owner role (then everything runs as the app role),
    and drop it afterwards, whatever happens in between."""
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from prm.db_roles import as_owner

    setup_test_environment()
    with as_owner():
        config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        with as_owner():
            teardown_databases(config, verbosity=0)
