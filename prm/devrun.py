"""``make run``: the whole stack on one machine, with nothing to install.

Starts an embedded PostgreSQL 16 (the ``pgserver`` package) unless DATABASE_URL is set,
creates the owner and app roles, migrates, seeds the demo, then runs gunicorn, a Celery
worker and Celery beat until Ctrl-C. Without REDIS_URL the broker is kombu's filesystem
transport and the cache is in-process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def embedded_database(env: dict[str, str]) -> object:
    import pgserver

    from prm.dbsetup import setup

    pgdata = VAR / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = quote(str(pgdata), safe="")
    env["DATABASE_URL"] = f"postgresql://prm_app:prm_app@{socket_dir}/prm"
    env["DATABASE_OWNER_URL"] = f"postgresql://prm_owner:prm_owner@{socket_dir}/prm"
    setup(server.get_uri(), env["DATABASE_URL"], env["DATABASE_OWNER_URL"])
    print(f"Embedded PostgreSQL running in {pgdata}", flush=True)
    return server


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    port = env.setdefault("PORT", "8000")
    server = None
    if not env.get("DATABASE_URL"):
        server = embedded_database(env)
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT)
    bin_dir = Path(python).parent
    VAR.mkdir(exist_ok=True)
    commands = {
        "web": [str(bin_dir / "gunicorn"), "prm.wsgi:application", "--bind",
                f"0.0.0.0:{port}", "--workers", env.get("WEB_CONCURRENCY", "2"),
                "--access-logfile", "-"],
        "worker": [str(bin_dir / "celery"), "-A", "prm", "worker", "-l", "info",
                   "--concurrency", "2"],
        "beat": [str(bin_dir / "celery"), "-A", "prm", "beat", "-l", "info",
                 "--schedule", str(VAR / "celerybeat-schedule")],
    }
    processes = {name: subprocess.Popen(cmd, env=env, cwd=ROOT) for name, cmd in
                 commands.items()}
    print(f"\nOpen http://acme.localhost:{port}/ (or http://globex.localhost:{port}/). "
          "Ctrl-C stops everything.\n", flush=True)
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping.", flush=True)
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    del server  # pgserver stops the embedded PostgreSQL at exit
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
