#!/bin/sh
# Entry point of the PRM image: set defaults that depend on the machine, then run the
# command (gunicorn by default; celery worker/beat, manage.py ... in docker-compose.yml).
set -eu

# gunicorn reads WEB_CONCURRENCY as its worker count. Default: 2 x CPUs + 1. nproc sees
# the CPUs the container may run on, not a CPU quota: set WEB_CONCURRENCY when limited.
if [ -z "${WEB_CONCURRENCY:-}" ]; then
    WEB_CONCURRENCY=$(( $(nproc) * 2 + 1 ))
    export WEB_CONCURRENCY
fi

exec "$@"
