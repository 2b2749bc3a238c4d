# syntax=docker/dockerfile:1
#
# The PRM image: gunicorn by default; the same image runs the Celery worker and beat
# (see docker-compose.yml). Three stages:
#   assets - node: `npm ci` from package-lock.json, for the vendored browser assets (htmx)
#   build  - python + gettext: hash-checked install of requirements.lock, translations
#            compiled, static files collected
#   final  - python, the virtualenv and the built project, run as a non-root user

ARG PYTHON_IMAGE=python:3.12-slim

FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && mkdir -p vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js vendor/htmx.min.js


FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
# msgfmt, for compilemessages. Only this stage has it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock

WORKDIR /app
COPY . .
COPY --from=assets /assets/vendor/ static/vendor/
# Settings refuse to load without SECRET_KEY when DEBUG is off; the key below is used
# for these two build commands only and is not in the final environment.
RUN mkdir -p locale \
 && DEBUG=false SECRET_KEY=build-only python manage.py compilemessages --ignore=node_modules -v 0 \
 && DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0 \
 && python -m compileall -q /app


FROM ${PYTHON_IMAGE} AS final
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=prm.settings
RUN groupadd --system --gid 10001 prm \
 && useradd --system --uid 10001 --gid prm --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin prm
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/prm-entrypoint
# The code stays root-owned and read-only to the app; only var/ (Celery beat's schedule,
# the file broker of a REDIS_URL-less run) is writable.
RUN mkdir -p /app/var && chown -R prm:prm /app/var
USER prm
WORKDIR /app
EXPOSE 8000
ENTRYPOINT ["prm-entrypoint"]
# Workers: WEB_CONCURRENCY (gunicorn reads it; the entrypoint defaults it to 2 x CPUs + 1).
# Sync workers and persistent database connections on purpose: see docs/scaling.md.
CMD ["gunicorn", "prm.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--max-requests", "2000", "--max-requests-jitter", "200", \
     "--timeout", "30", "--graceful-timeout", "30", \
     "--access-logfile", "-"]
