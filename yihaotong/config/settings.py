"""Settings, read from the environment.

Two modes:
- embedded (default): SQLite in WAL mode and SqliteHuey under ``./var/``; a development secret.
- production (``YIHAOTONG_MODE=production`` or ``DATABASE_URL`` set): PostgreSQL from ``DATABASE_URL``,
  huey and the cache on ``REDIS_URL``, ``SECRET_KEY`` required (start-up stops without it).

Nothing here reads the database or other apps' settings at import time.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YIHAOTONG_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
PRODUCTION = os.environ.get("YIHAOTONG_MODE", "").strip().lower() == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production mode (YIHAOTONG_MODE=production).")
    SECRET_KEY = "embedded-development-secret-not-for-production"  # noqa: S105

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "yihaotong.core",
    "yihaotong.accounts",
    "yihaotong.directory",
    "yihaotong.worktime",
    "yihaotong.intake",
    "yihaotong.workorders",
    "yihaotong.routing",
    "yihaotong.kb",
    "yihaotong.notifications",
    "yihaotong.audit",
    "yihaotong.consoles",
    "yihaotong.channels",
    "yihaotong.webhooks",
    "yihaotong.open311",
    "yihaotong.telephony",
    "yihaotong.letters",
    "yihaotong.feedback",
    "yihaotong.portal",
    "yihaotong.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "yihaotong.config.urls"
WSGI_APPLICATION = "yihaotong.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yihaotong.worktime.context_processors.calendar_banner",
                "yihaotong.consoles.context_processors.navigation",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the SQL text (psycopg's server-side binding), and a statement run
        # five times on a connection is prepared on the server: the actions repeat a few dozen statements,
        # and parsing and planning them again every time cost more than running them (decision 0009).
        # The lists plan each call for its own filters (core.db.custom_plans in core.api.paginate).
        # Behind a pooler in transaction mode without prepared-statement support (PgBouncer < 1.21),
        # switch preparing off with ``?prepare_threshold=off`` in DATABASE_URL.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options.setdefault("server_side_binding", True)
        _threshold = str(_options.get("prepare_threshold", "5")).strip().lower()
        _options["prepare_threshold"] = None if _threshold in ("", "none", "off", "false") else int(_threshold)
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set in production mode.")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("YIHAOTONG_SQLITE", str(VAR_DIR / "yihaotong.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
                # two writers queue on busy_timeout instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# The cache: CACHE_URL (redis://… or locmem://), by default the same Redis as the queue.
CACHE_URL = os.environ.get("CACHE_URL", REDIS_URL).strip()
if CACHE_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("HUEY_NAME", "yihaotong"),
        "url": REDIS_URL,
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    # The embedded default keeps its files under ./var (SQLite database, huey queue, uploads).
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "yihaotong",
        "filename": os.environ.get("HUEY_SQLITE", str(VAR_DIR / "huey.sqlite3")),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Front-end packages come from the npm registry (`make setup` runs npm); never copied into git.
NODE_MODULES = BASE_DIR.parent / "node_modules"
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / package / "dist")
    for name, package in [("htmx", "htmx.org"), ("echarts", "echarts")]
    if (NODE_MODULES / package / "dist").is_dir()
]
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

# Prefix of work-order numbers (QY20261126-0001).
YIHAOTONG_ORDER_PREFIX = os.environ.get("YIHAOTONG_ORDER_PREFIX", "QY")
# The district's statistical code (青羊区).
YIHAOTONG_DISTRICT_CODE = os.environ.get("YIHAOTONG_DISTRICT_CODE", "510105")

# SMS: the HTTP gateway when SMS_GATEWAY_URL is set (notifications/sms.py), else lines in SMS_FILE_PATH.
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "").strip()
SMS_GATEWAY_KEY = os.environ.get("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "一号通")
SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "5"))
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl"))
# The portal's address in messages (links to opt out of SMS).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# Reverse proxies in front of the site: the portal's rate limits then key on X-Forwarded-For.
PORTAL_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("PORTAL_TRUSTED_PROXIES", "").split(",") if p.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # huey's consumer adds a handler of its own at INFO unless the "huey" logger has one: every task run
    # was printed twice (its handler and the root's), a stream that buried the demo's logins and requests.
    # LOG_LEVEL=INFO shows the task runs again, once.
    "loggers": {
        "huey": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING"), "propagate": False},
    },
}
