"""The one settings module. Everything deployment-specific comes from HELI_* variables."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from heli.core import replica
from heli.env import (
    envbool,
    envfieldkeys,
    envheader,
    envhexkey,
    envint,
    envlist,
    envstr,
    key_source,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
NODE_MODULES = Path(envstr("HELI_NODE_MODULES", str(PROJECT_DIR / "node_modules")))

DEBUG = envbool("HELI_DEBUG", False)

# Development keys are only accepted with HELI_DEBUG=1; a production start without keys fails.
_DEV_SECRET = "heli-development-only-secret-key-do-not-use-in-production"
# Keys come from the environment or from the key file HELI_KEY_FILE (owner-only, see env.py).
_KEYS = key_source(envstr("HELI_KEY_FILE"))
SECRET_KEY = _KEYS.get("HELI_SECRET_KEY") or (_DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("HELI_SECRET_KEY is required (or set HELI_DEBUG=1 for development)")

# SM4 keys for personal data at rest by version, the current one first (crypto: the version
# byte names the key), and the key of the lookup digest (used from the member registry on).
# 16 bytes each, given as 32 hex characters.
FIELD_ENCRYPTION_KEYS = envfieldkeys(
    _KEYS, 16, "00112233445566778899aabbccddeeff" if DEBUG else None
)
FIELD_DIGEST_KEY = envhexkey(
    "HELI_DIGEST_KEY", 16, "ffeeddccbbaa99887766554433221100" if DEBUG else None, _KEYS
)
# The key of the audit chain and of the history tables' seals (heli.core.seal): 32 bytes, 64
# hex characters. Never stored in the database, so that whoever can write to it cannot reseal.
AUDIT_KEY = envhexkey("HELI_AUDIT_KEY", 32, "a5" * 32 if DEBUG else None, _KEYS)
del _KEYS  # not a setting: the environment with the key file's values

ALLOWED_HOSTS = envlist("HELI_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("HELI_CSRF_TRUSTED_ORIGINS", "")
PUBLIC_BASE_URL = (envstr("HELI_PUBLIC_BASE_URL", "") or "").rstrip("/")

DATABASES = {
    "default": dj_database_url.parse(
        envstr("HELI_DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'var' / 'heli.sqlite3'}"),
        conn_max_age=envint("HELI_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A writer waits for the write lock (up to HELI_SQLITE_TIMEOUT seconds, Python's sqlite3
    # busy handler) instead of failing at once with "database is locked": a 200,000-row save
    # holds it for about 20 s on a busy two-core machine (heli bench import). Every transaction
    # takes the lock when it begins (IMMEDIATE), so a transaction that read first never fails
    # on its first write. WAL lets pages read while an import saves. No PRAGMA busy_timeout
    # here: it would override `timeout`. A page cache of up to 64 MB (the default is 2 MB)
    # keeps the member table's random-keyed indexes (digests) in memory while an import
    # inserts: a 100,000-row save holds the lock about a third less long.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": envint("HELI_SQLITE_TIMEOUT", 30),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA cache_size=-65536;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DEBUG else DATABASES["default"]["CONN_MAX_AGE"]
    # A file, not Django's in-memory default, so that a worker thread or process sees the
    # same test database as the test and the live server.
    # HELI_TEST_DB_NAME lets several test runs share a checkout without sharing a database.
    test_db = envstr("HELI_TEST_DB_NAME", "test-heli.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": str(PROJECT_DIR / "var" / test_db)}
# Reads of list and report pages from a PostgreSQL streaming replica, off when unset; after a
# change the same browser reads the primary for HELI_REPLICA_STICKY_SECONDS (heli.core.replica).
DATABASE_ROUTERS = replica.configure(
    DATABASES, envstr("HELI_REPLICA_DATABASE_URL"), envint("HELI_CONN_MAX_AGE", 600)
)
HELI_REPLICA_STICKY_SECONDS = envint("HELI_REPLICA_STICKY_SECONDS", 10)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "heli.core",
    "heli.audit",
    "heli.orgs",
    "heli.stations",
    "heli.members",
    "heli.mobility",
    "heli.campaigns",
    "heli.letters",
    "heli.transfers",
    "heli.accounts",
    "heli.reports",
    "heli.control",
    "heli.public",
    "heli.demo",
]

MIDDLEWARE = [
    "heli.core.proxy.RealAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "heli.core.params.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "heli.core.replica.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "heli.accounts.sessions.IdleTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "heli.accounts.language.LanguageMiddleware",
    "heli.core.scoping.ScopeMiddleware",
    "heli.control.todo.FreshBadgesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "heli.accounts.twofactor.SecondFactorMiddleware",
    "heli.accounts.passwords.ChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "heli.urls"
WSGI_APPLICATION = "heli.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "control:dashboard"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "heli.control.context.navigation",
            ]
        },
    }
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "heli.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "heli.accounts.passwords.HistoryValidator"},
    {"NAME": "heli.accounts.passwords.DemoPasswordValidator"},
]
# The local demo (`make demo` sets HELI_DEMO=1): only there is the demo's shared password
# accepted and may `heli demo` build its accounts. A password set by an administrator must be
# changed at the next login; a password older than HELI_PASSWORD_MAX_AGE_DAYS too (0: never;
# off by default in the demo, whose accounts share the printed password); the last
# HELI_PASSWORD_HISTORY passwords (the current one included) cannot be chosen again.
HELI_DEMO = envbool("HELI_DEMO", False)
HELI_PASSWORD_MAX_AGE_DAYS = envint("HELI_PASSWORD_MAX_AGE_DAYS", 0 if HELI_DEMO else 90)
HELI_PASSWORD_HISTORY = envint("HELI_PASSWORD_HISTORY", 5)

# Two-factor login (heli.accounts.twofactor): district and town administrators and every role
# that can reveal unmasked data (roles.requires_second_factor) must give a TOTP code after the
# password; off by default in the demo, so that its printed logins work at once (anyone may
# still enrol there). The issuer is the name authenticator apps show beside the code.
HELI_2FA_REQUIRED = envbool("HELI_2FA_REQUIRED", not HELI_DEMO)
OTP_TOTP_ISSUER = "合力 heli"

# Government-system login rules: 5 failures lock a username for 30 minutes, at the address
# they came from only (heli.accounts.locks): failures from elsewhere must not lock the district
# administrator out. An address failing HELI_LOGIN_ADDRESS_LIMIT times over any usernames is
# refused on its own for the same time. Sessions end after 30 idle minutes and when the browser
# closes.
AXES_FAILURE_LIMIT = envint("HELI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("HELI_LOGIN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_LIMIT = envint("HELI_LOGIN_ADDRESS_LIMIT", 30)
# Attempts during a lock neither count nor extend it, so a lock starts (and is audited) once.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# The idle timeout is kept by heli.accounts.sessions.IdleTimeoutMiddleware with a last-seen
# stamp written at most once a minute, not by saving the session on every request (each save
# is a database write, which on SQLite waits while an import saves). Every save of the session
# also moves its expiry in the database to the stamp plus this age, so both agree.
SESSION_COOKIE_AGE = envint("HELI_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("HELI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS only once cookies are (the production profile, `heli check --deploy` clean): plain HTTP
# is redirected, and HSTS tells browsers never to try it again. Behind a proxy that ends TLS,
# HELI_PROXY_SSL_HEADER (e.g. X-Forwarded-Proto=https) names the header it sets; trust it only
# when the proxy always sets or overwrites that header, or a client could claim HTTPS.
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = envheader("HELI_PROXY_SSL_HEADER")
# Behind nginx: the proxies whose X-Real-IP is the client's address (heli.core.proxy).
HELI_TRUSTED_PROXIES = envlist("HELI_TRUSTED_PROXIES", "")
SECURE_HSTS_SECONDS = envint("HELI_HSTS_SECONDS", 31_536_000) if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HELI_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("HELI_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = envstr("HELI_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts, styles, fonts and images come from heli only
# (the npm libraries are served by heli too). No inline script, event-handler attribute or
# inline style anywhere: page data goes to the static scripts through data- attributes and
# json_script, sizes through CSS classes or the scripts (tests/test_csp.py walks the templates
# and renders every page; the browser tests fail on any violation). data: images are the QR
# codes' SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The language switch is remembered by the browser for a year (the session cookie goes when
# the browser closes) and on the staff member's account (heli.accounts.language).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("HELI_STATIC_ROOT", str(PROJECT_DIR / "var" / "static")))
# Front-end libraries come from the npm registry (package.json) and are served by heli itself.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = envbool("HELI_STATIC_FROM_FINDERS", DEBUG)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("HELI_LOG_LEVEL", "WARNING")},
}

HELI_PAGE_SIZE = envint("HELI_PAGE_SIZE", 50)
# Exports of more rows than this are written by `heli worker` in the background (with progress);
# smaller ones are answered at once, within a page's 100 ms (a row takes 0.3-0.4 ms to write: a
# town's 1,600 floating records answered at once took 700 ms). Finished files wait in
# HELI_EXPORT_DIR for a day.
HELI_EXPORT_INLINE_ROWS = envint("HELI_EXPORT_INLINE_ROWS", 250)
HELI_EXPORT_DIR = envstr("HELI_EXPORT_DIR", str(PROJECT_DIR / "var" / "exports"))
# A large export's rows are written by this many processes at once (heli.core.exportparts):
# an export is Python's work on one core, so the machine's cores divide its time.
HELI_EXPORT_PROCESSES = envint("HELI_EXPORT_PROCESSES", min(4, os.cpu_count() or 1))
# Background tasks (Django's Tasks API through the django-tasks backport; heli.core.tasks):
# HELI_TASKS=db queues them in the database (django-tasks-db: SQLite or PostgreSQL, one
# machine or several sharing the database), rq in Redis at HELI_REDIS_URL (django-tasks-rq).
# `heli worker` runs the chosen backend's worker. On Django 6 the TASKS setting is read as is.
HELI_TASKS = envstr("HELI_TASKS", "db")
if HELI_TASKS not in ("db", "rq"):
    raise ImproperlyConfigured("HELI_TASKS must be db or rq")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if HELI_TASKS == "db"
        else "django_tasks_rq.RQBackend",
        "QUEUES": ["default"],
    }
}
RQ_QUEUES = {"default": {"URL": envstr("HELI_REDIS_URL", "redis://127.0.0.1:6379/0")}}
# A print view lays out at most this many rows (more is a job for the spreadsheet).
HELI_PRINT_MAX_ROWS = envint("HELI_PRINT_MAX_ROWS", 2000)
# Searches by ID number or phone (whole or last four digits) per user in a window.
HELI_LOOKUP_LIMIT = envint("HELI_LOOKUP_LIMIT", 30)
HELI_LOOKUP_WINDOW_SECONDS = envint("HELI_LOOKUP_WINDOW_SECONDS", 600)

# Check-in attempts on a station's public page, per fixed window (shared by all workers).
CHECKIN_WINDOW_SECONDS = envint("HELI_CHECKIN_WINDOW_SECONDS", 600)
CHECKIN_LIMIT_PER_ADDRESS = envint("HELI_CHECKIN_LIMIT_PER_ADDRESS", 20)
CHECKIN_LIMIT_PER_STATION = envint("HELI_CHECKIN_LIMIT_PER_STATION", 600)

# The lost-contact clock of floating records: days since the last contact.
FLOATING_WARNING_DAYS = envint("HELI_FLOATING_WARNING_DAYS", 60)
FLOATING_LOST_DAYS = envint("HELI_FLOATING_LOST_DAYS", 90)
# Flag ahead of the six months after which the Party Constitution treats a member who has not
# taken part in party life as having left: raised this many days after the last contact.
FLOATING_LAPSE_FLAG_DAYS = envint("HELI_FLOATING_LAPSE_FLAG_DAYS", 150)

# Reminder letters (督促报到函): an outflow member not reported anywhere after this many days
# is due a letter; the inflow side is expected to reply within the reply period.
LETTER_DUE_AFTER_DAYS = envint("HELI_LETTER_DUE_AFTER_DAYS", 30)
LETTER_REPLY_DAYS = envint("HELI_LETTER_REPLY_DAYS", 30)
# A batch of more letters than this (one Word file, a zip, or the batch's reminder) is done by
# `heli worker` in the background, with progress; a smaller one at once.
HELI_LETTER_INLINE_BATCH = envint("HELI_LETTER_INLINE_BATCH", 20)

# Relationship transfers (组织关系转接): validity of the introduction letter, and how many
# organizations above the sending one approve (0: the sending organization alone).
TRANSFER_VALID_DAYS_CITY = envint("HELI_TRANSFER_VALID_DAYS_CITY", 30)
TRANSFER_VALID_DAYS_OTHER = envint("HELI_TRANSFER_VALID_DAYS_OTHER", 90)
TRANSFER_APPROVAL_LEVELS_ABOVE = envint("HELI_TRANSFER_APPROVAL_LEVELS_ABOVE", 0)

# `heli backup` writes its dumps and manifests here (created for its owner only).
HELI_BACKUP_DIR = envstr("HELI_BACKUP_DIR", str(PROJECT_DIR / "var" / "backups"))
# Soft-deleted members are anonymized this many years after their deletion (`heli members
# anonymize`, heli.privacy.retention); 0 keeps them as they are.
HELI_RETENTION_YEARS = envint("HELI_RETENTION_YEARS", 30)
