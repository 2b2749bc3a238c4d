"""Create the database roles and database, as a PostgreSQL superuser. Idempotent.

    python -m prm.dbsetup --admin-url postgresql://postgres@127.0.0.1:5432/postgres

* the owner role (DATABASE_OWNER_URL's user): owns the tables, runs migrations,
  may create databases (the test suite creates its own);
* the app role (DATABASE_URL's user): LOGIN only; NOSUPERUSER, NOBYPASSRLS, owns nothing.

Runs without Django so it can prepare a server before settings can connect anywhere.
"""

from __future__ import annotations

import argparse
import os
from urllib.parse import unquote, urlparse

import psycopg
from psycopg import sql

DEFAULT_APP_URL = "postgresql://prm_app:prm_app@127.0.0.1:5432/prm"
DEFAULT_OWNER_URL = "postgresql://prm_owner:prm_owner@127.0.0.1:5432/prm"


def _parts(url: str) -> tuple[str, str, str]:
    parsed = urlparse(url)
    return unquote(parsed.username or ""), unquote(parsed.password or ""), parsed.path.lstrip("/")


def ensure_role(cur, name: str, password: str, options: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    verb = "ALTER" if cur.fetchone() else "CREATE"
    cur.execute(sql.SQL(f"{verb} ROLE {{}} WITH LOGIN PASSWORD {{}} {options}").format(
        sql.Identifier(name), sql.Literal(password)))


def setup(admin_url: str, app_url: str, owner_url: str) -> None:
    app_user, app_password, _ = _parts(app_url)
    owner_user, owner_password, database = _parts(owner_url)
    if app_user == owner_user:
        raise SystemExit("The app role and the owner role must differ.")
    with psycopg.connect(admin_url, autocommit=True) as conn, conn.cursor() as cur:
        ensure_role(cur, owner_user, owner_password, "NOSUPERUSER CREATEDB NOBYPASSRLS")
        ensure_role(cur, app_user, app_password,
                    "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if not cur.fetchone():
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(owner_user)))
    db_url = urlparse(admin_url)._replace(path="/" + database).geturl()
    with psycopg.connect(db_url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner_user)))
        cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(
            sql.Identifier(app_user)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", required=True)
    args = parser.parse_args()
    setup(args.admin_url,
          os.environ.get("DATABASE_URL", DEFAULT_APP_URL),
          os.environ.get("DATABASE_OWNER_URL", DEFAULT_OWNER_URL))


if __name__ == "__main__":
    main()
