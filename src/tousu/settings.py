"""One settings module, built from typed environment variables.

The embedded default (SQLite in WAL mode beside the code, SQLite-backed Huey queue) needs no variable.
DATABASE_URL selects PostgreSQL, REDIS_URL selects a Redis-backed queue for many consumers.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from tousu.env import SettingError, env_bool, env_int, env_list, env_path, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parents[1]
DATA_DIR = env_path("TOUSU_DATA_DIR", PROJECT_DIR / "var")

DEBUG = env_bool("TOUSU_DEBUG", False)
SECRET_KEY = env_str("TOUSU_SECRET_KEY", "")
if not SECRET_KEY:
    # The embedded default keeps a generated key beside its database so tokens and sessions survive
    # restarts without any configuration.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("TOUSU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("TOUSU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "axes",
    "tousu.core",
    "tousu.accounts",
    "tousu.complaints",
    "tousu.assessments",
    "tousu.workflow",
    "tousu.notify",
    "tousu.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tousu.core.locale.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login refused during a lockout into the login page with the unlock time.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tousu.urls"
WSGI_APPLICATION = "tousu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tousu.core.context.capabilities",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
SQLITE_ENGINE = "tousu.core.sqlite"  # Django's SQLite with writers queued fairly (core/sqlite/base.py)
_SQLITE_OPTIONS = {
    # WAL lets pages read while an import writes; IMMEDIATE avoids lock-upgrade deadlocks between
    # concurrent writers (web workers and queue consumers). synchronous=FULL: a commit is on disk before
    # the tracking number is shown, even if the machine loses power (NORMAL could lose the last commits).
    # cache_size: 16 MiB of pages per connection instead of 2 MiB; web threads keep their connection, 32
    # of them by default. Imports take 64 MiB while they run (tousu.core.sqlite.large_page_cache).
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000; "
                    "PRAGMA cache_size=-16384;",
    "transaction_mode": "IMMEDIATE",
}
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise SettingError(f"DATABASE_URL: {exc}") from None
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
        DATABASES["default"]["OPTIONS"] = dict(_SQLITE_OPTIONS)
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": SQLITE_ENGINE, "NAME": DATA_DIR / "tousu.sqlite3",
                             "OPTIONS": dict(_SQLITE_OPTIONS)}}
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:
    # Each web thread keeps its connection between requests: opening one (pragmas, Django's SQL functions)
    # was about a tenth of a request's CPU under load. Checked before reuse, closed after 10 idle minutes.
    DATABASES["default"].update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True)
    # A file, not memory: concurrent-worker tests need SQLite's real locking (busy timeout, WAL), which
    # the shared in-memory database does not have.
    DATABASES["default"].setdefault("TEST", {"NAME": str(DATA_DIR / "test.sqlite3")})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes, counted in the database so every worker sees the same count): after
# TOUSU_LOGIN_FAILURE_LIMIT failed logins for one username (from any address), or
# TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT from one address (for any usernames: higher, so that colleagues behind
# one office address are not locked out by one person's typos), logins are locked for
# TOUSU_LOGIN_LOCK_MINUTES after the last failure; a right password during the lock is refused too.
# The API's tokens do not go through this (see accounts.models.ApiToken.authenticate).
TOUSU_LOGIN_FAILURE_LIMIT = env_int("TOUSU_LOGIN_FAILURE_LIMIT", 5)
TOUSU_LOGIN_LOCK_MINUTES = env_int("TOUSU_LOGIN_LOCK_MINUTES", 15)
TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
if TOUSU_LOGIN_FAILURE_LIMIT < 1:
    raise SettingError(f"TOUSU_LOGIN_FAILURE_LIMIT={TOUSU_LOGIN_FAILURE_LIMIT}: at least 1")
if TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT < TOUSU_LOGIN_FAILURE_LIMIT:
    raise SettingError(f"TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT={TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT}: at least "
                       f"TOUSU_LOGIN_FAILURE_LIMIT ({TOUSU_LOGIN_FAILURE_LIMIT})")
if TOUSU_LOGIN_LOCK_MINUTES < 1:
    raise SettingError(f"TOUSU_LOGIN_LOCK_MINUTES={TOUSU_LOGIN_LOCK_MINUTES}: at least 1")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = TOUSU_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=TOUSU_LOGIN_LOCK_MINUTES)
# The username always; the address too once it has TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT failures.
AXES_LOCKOUT_PARAMETERS = "tousu.accounts.lockout.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
# The lock lifts at the time the page gives, however often someone tries meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "tousu.accounts.lockout.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "tousu.accounts.lockout.login_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The project's own CSS, htmx and ECharts live in src/tousu/static, which belongs to no app: without this
# line no finder sees them and every page loads unstyled, with no htmx.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = env_path("TOUSU_STATIC_ROOT", DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders; it only wants the folder
MEDIA_ROOT = env_path("TOUSU_MEDIA_ROOT", DATA_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "tousu.complaints.uploads.UploadCeiling",  # past every size limit a file is counted, not kept
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# A model written by `tousu train type --out` here is used beside the rules (R-RA-8).
TOUSU_MODEL_DIR = env_path("TOUSU_MODEL_DIR", DATA_DIR / "model")
# Uploads larger than these are refused before anything is stored (their content is checked too:
# tousu.complaints.uploads).
TOUSU_MAX_ATTACHMENT_BYTES = env_int("TOUSU_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)
TOUSU_MAX_IMPORT_BYTES = env_int("TOUSU_MAX_IMPORT_BYTES", 100 * 1024 * 1024)
for _name, _value in (("TOUSU_MAX_ATTACHMENT_BYTES", TOUSU_MAX_ATTACHMENT_BYTES),
                      ("TOUSU_MAX_IMPORT_BYTES", TOUSU_MAX_IMPORT_BYTES)):
    if _value < 1:
        raise SettingError(f"{_name}={_value}: a size in bytes, at least 1")

# Public pages: at most this many submissions / look-ups per client address per window.
TOUSU_PUBLIC_SUBMIT_LIMIT = env_int("TOUSU_PUBLIC_SUBMIT_LIMIT", 5)
TOUSU_PUBLIC_LOOKUP_LIMIT = env_int("TOUSU_PUBLIC_LOOKUP_LIMIT", 20)
TOUSU_PUBLIC_WINDOW_SECONDS = env_int("TOUSU_PUBLIC_WINDOW_SECONDS", 600)
# Number of reverse proxies in front of Tousu whose X-Forwarded-For entries are trusted.
TOUSU_TRUSTED_PROXIES = env_int("TOUSU_TRUSTED_PROXIES", 0)

# Notifications (R-WF-9): a claimed delivery that has not finished after this long is tried again.
TOUSU_NOTIFY_CLAIM_SECONDS = env_int("TOUSU_NOTIFY_CLAIM_SECONDS", 300)
# A background import with no batch stored for this long has lost its worker and is taken up again.
TOUSU_IMPORT_STALL_SECONDS = env_int("TOUSU_IMPORT_STALL_SECONDS", 300)
TOUSU_NOTIFY_TIMEOUT_SECONDS = env_int("TOUSU_NOTIFY_TIMEOUT_SECONDS", 10)
# Public address of this Tousu (for links in emails and surveys), e.g. https://tousu.example.com
TOUSU_BASE_URL = env_str("TOUSU_BASE_URL", "http://127.0.0.1:8000")
# The company's complaint hotline, shown to a customer whose complaint reads as an emergency.
TOUSU_HOTLINE = env_str("TOUSU_HOTLINE", "")
EMAIL_HOST = env_str("TOUSU_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("TOUSU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("TOUSU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("TOUSU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TOUSU_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("TOUSU_EMAIL_FROM", "tousu@localhost")
# Without a mail server configured, mail goes to the console (development).
EMAIL_BACKEND = env_str("TOUSU_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
                        if env_str("TOUSU_EMAIL_HOST", "") else "django.core.mail.backends.console.EmailBackend")

# Email intake (R-IN-6): the complaint mailbox read every two minutes when a host is set.
TOUSU_IMAP_HOST = env_str("TOUSU_IMAP_HOST", "")
TOUSU_IMAP_PORT = env_int("TOUSU_IMAP_PORT", 993)
TOUSU_IMAP_USER = env_str("TOUSU_IMAP_USER", "")
TOUSU_IMAP_PASSWORD = env_str("TOUSU_IMAP_PASSWORD", "")
TOUSU_IMAP_FOLDER = env_str("TOUSU_IMAP_FOLDER", "INBOX")
TOUSU_IMAP_SSL = env_bool("TOUSU_IMAP_SSL", True)

REDIS_URL = env_str("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("TOUSU_QUEUE_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "tousu",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "tousu",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TOUSU_LOG_LEVEL", "WARNING")},
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Hardening outside DEBUG. Cookies are marked Secure (and HSTS sent) only when Tousu is served over
# HTTPS (TOUSU_BASE_URL https://…): a Secure cookie on the default http://127.0.0.1 would make login fail.
if not DEBUG:
    SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    if TOUSU_BASE_URL.startswith("https://"):
        SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
        SECURE_HSTS_SECONDS = 31536000
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
