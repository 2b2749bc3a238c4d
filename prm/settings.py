"""One settings module, driven by the environment. Safe defaults: DEBUG is off unless asked."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """A boolean that accepts exactly 'true' or 'false' (any case), nothing else."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {value!r}")


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.environ.get(name) or None


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("PRM_TESTING", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-and-tests-0123456789abcdefghij"  # noqa: S105

PRM_BASE_DOMAIN = os.environ.get("PRM_BASE_DOMAIN", "localhost").lower()
PRM_SCHEME = "http" if DEBUG or TESTING else "https"
PRM_PORT = os.environ.get("PRM_PUBLIC_PORT", os.environ.get("PORT", "8000") if DEBUG else "")
ALLOWED_HOSTS = [PRM_BASE_DOMAIN, f".{PRM_BASE_DOMAIN}"]
if TESTING:
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    "prm",
    "partners",
    "deals",
    "onboarding",
    "playbooks",
    "analytics",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "django_filters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "prm.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "prm.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "prm.middleware.RequireMfaMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "prm.urls"
WSGI_APPLICATION = "prm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prm.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# The application connects as a role that is neither superuser, nor BYPASSRLS, nor the
# tables' owner. Migrations run as the owner: `manage.py migrate` switches to
# DATABASE_OWNER_URL by itself (see prm.management.commands.migrate).
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgresql://prm_app:prm_app@127.0.0.1:5432/prm"
)
DATABASE_OWNER_URL = os.environ.get(
    "DATABASE_OWNER_URL", "postgresql://prm_owner:prm_owner@127.0.0.1:5432/prm"
)
PRM_APP_DB_ROLE = dj_database_url.parse(DATABASE_URL)["USER"]

_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
                            conn_health_checks=True)
_db["TEST"] = {"NAME": os.environ.get("PRM_TEST_DATABASE", "prm_test")}
# Prepared statements only where the code asks for them (``execute(..., prepare=True)``,
# as deals.conflicts does): Django binds parameters on the client, so automatic
# preparation would prepare each literal variant of a query. psycopg prepares a query
# automatically after this many runs of the same text; Django's default (None) turns
# preparation off altogether. Behind PgBouncer in transaction mode, use 1.21 or newer
# with max_prepared_statements set.
# Such a statement gets one plan for any parameters (a generic plan), built at its first
# run: left to itself (plan_cache_mode=auto) PostgreSQL kept planning the conflict check
# per call on some connections and not on others, 0.5 to 1.7 ms a check by chance.
_db["OPTIONS"] = {"prepare_threshold": env_int("DB_PREPARE_THRESHOLD", 1_000_000),
                  "options": "-c plan_cache_mode=force_generic_plan"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "prm")
            + os.environ.get("PYTEST_XDIST_WORKER", ""),
            "KEY_FUNCTION": "prm.cache.tenant_cache_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "prm.cache.tenant_cache_key",
        }
    }

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
_broker_dir = Path(os.environ.get("PRM_BROKER_DIR", BASE_DIR / "var" / "broker"))
if CELERY_BROKER_URL == "filesystem://":
    # A broker that needs no server, for `make run` without REDIS_URL.
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "prm.tasks.outbox_sweep", "schedule": 60.0},
    "idempotency-prune": {"task": "prm.tasks.idempotency_prune", "schedule": 3600.0},
    "deals-expire-protection": {"task": "deals.tasks.expire_protection", "schedule": 900.0},
    "partners-import-sweep": {"task": "partners.tasks.partner_import_sweep",
                              "schedule": 300.0},
}

# --- Accounts -------------------------------------------------------------------
AUTH_USER_MODEL = "prm.User"
AUTHENTICATION_BACKENDS = ["prm.auth.TenantMemberBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"] if TESTING
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ACCOUNT_ADAPTER = "prm.auth.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PRM] "
# Five failed sign-ins for one address lock it for five minutes (allauth's login_failed).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "request_login_code": "20/m/ip,3/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PRM"
PRM_INVITATION_DAYS = env_int("PRM_INVITATION_DAYS", 7)

# --- API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "prm.api_auth.ApiKeyAuthentication",
        "prm.api_auth.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["prm.api_auth.IsTenantMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "prm.api_base.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRM API",
    "DESCRIPTION": "Partner relationship management. Every call acts inside the tenant of "
                   "the host it is sent to (acme.example.com).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # One name per choice set, so the schema has no ambiguous enums.
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "django_countries.countries",
        "PartnerStatusEnum": "partners.models.PartnerStatus",
        "ApplicationStatusEnum": "partners.models.PartnerApplication.Status",
        "InvitationStatusEnum": "prm.models.Invitation.Status",
        "DealStatusEnum": "deals.models.DealStatus",
        "RoleEnum": "prm.models.Role",
        "PartnerTypeEnum": "partners.models.PartnerType",
        "TermStatusEnum": "playbooks.models.GlossaryTerm.Status",
        "TimelineEntryKindEnum": "deals.models.TimelineEntry.Kind",
        "ActivityChangeKindEnum": "playbooks.api_playbooks.ACTIVITY_CHANGES",
        "StageChangeStatusEnum": "playbooks.api_playbooks.STAGE_CHANGES",
    },
}

# --- Internationalisation ------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and e-mail ----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
_mail_backend = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _mail_backend,
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": env_secret("EMAIL_HOST_PASSWORD") or "",
            "use_tls": env_bool("EMAIL_USE_TLS", False),
        } if _mail_backend.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "PRM <noreply@localhost>")

# --- Security -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of gunicorn append to X-Forwarded-For: the client address that
# sign-in lock-outs and the public application form's rate limit count by (0: REMOTE_ADDR).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("PRM_TRUSTED_PROXY_COUNT", 0)
if not (DEBUG or TESTING):
    # __Host- cookies: Secure, Path=/, never a Domain, so no other subdomain (tenant)
    # can read or plant them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = [
    f"{PRM_SCHEME}://*.{PRM_BASE_DOMAIN}" + (f":{PRM_PORT}" if PRM_PORT else "")
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
