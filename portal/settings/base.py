"""Settings shared by every environment; this module alone runs the demo on SQLite.

`test.py` and `production.py` start from here. Everything that differs between machines comes from
the environment (see env.py).
"""

from pathlib import Path

import dj_database_url

from portal.settings.env import env_bool, env_int, env_list, env_str
from portal.settings.jazzmin import JAZZMIN_SETTINGS, JAZZMIN_UI_TWEAKS  # noqa: F401

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "demo-only-secret-key-never-used-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

# The demo logins of DESIGN.md share one password; it is refused whenever DEBUG is off.
DEMO_PASSWORD = "demo-pass-1405"
DEMO_PASSWORDS_ALLOWED = DEBUG

INSTALLED_APPS = [
    "jazzmin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "import_export",
    "django_q",
    "portal",
    "policies",
    "enrollment",
    "enrollment.loans",
    "enrollment.sms",
    "enrollment.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["portal.templatetags.jalali"],
        },
    },
]

SQLITE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", SQLITE_URL),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The dev server and the django-q2 worker write to one file: take the write lock up front.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "portal.auth_backends.StaffBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; the public pages never use it.

LANGUAGE_CODE = "fa-ir"
LANGUAGES = [("fa", "فارسی")]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"  # jazzmin's login form drops Django's `next` field

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2 with its ORM broker: a queued task is a row, committed with the change that queued it.
Q_CLUSTER = {
    "name": "portal",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    # Long exports run up to REPORTS_EXPORT_TIMEOUT; retry must exceed every task's timeout, or the ORM
    # broker hands a running export out a second time. SMS sends bound themselves (SMS_TIMEOUT).
    "timeout": 3600,
    "retry": 3700,
    "max_attempts": 5,
    "catch_up": False,
}

# Admin lists: how far an exact count goes before the cartables show "more than ...".
ADMIN_COUNT_CAP = env_int("ADMIN_COUNT_CAP", 10_000)

SIMPLE_HISTORY_REVERT_DISABLED = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"  # the library's default lets every staff user import
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# SMS (enrollment/sms): every message is first a row of the outbox; SMS_BACKEND says where it then goes.
# The default keeps messages in the outbox (demo and tests; `manage.py sms_outbox` prints them); a real
# deployment sets enrollment.sms.backends.KavenegarBackend with the provider's URL and API key.
SMS_BACKEND = env_str("SMS_BACKEND", "enrollment.sms.backends.OutboxOnlyBackend")
SMS_API_URL = env_str("SMS_API_URL")  # e.g. https://api.kavenegar.com/v1
SMS_API_KEY = env_str("SMS_API_KEY")
SMS_SENDER = env_str("SMS_SENDER")  # the sending line; empty: the account's default line
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)  # seconds per call to the provider
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 8)  # then "failed", until staff re-queue it in the admin

# Pensioner sign-in (portal/otp.py, portal/pensioner_session.py): one-time SMS codes and their limits.
# The per-address limit counts in CACHES["default"]: with Redis (production) all processes share it.
PENSIONER_SESSION_IDLE_SECONDS = env_int("PENSIONER_SESSION_IDLE_SECONDS", 15 * 60)  # then sign in again
LOGIN_CODE_TTL_SECONDS = 120
LOGIN_CODE_MAX_ATTEMPTS = 5  # wrong tries before a code is void
LOGIN_CODE_RESEND_SECONDS = 60  # the countdown before «ارسال دوباره کد»
LOGIN_CODE_LIMIT_WINDOW_SECONDS = 15 * 60
LOGIN_CODES_PER_NATIONAL_CODE = 3  # per window
LOGIN_CODES_PER_IP = env_int("LOGIN_CODES_PER_IP", 30)  # per window; a Kanoon office may share one address
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "REMOTE_ADDR")  # e.g. HTTP_X_FORWARDED_FOR behind the proxy
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"  # an expired form says so in Persian
