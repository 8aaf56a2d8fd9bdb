"""Settings shared by every environment; this module alone runs the demo on SQLite.

`test.py` and `production.py` start from here. Everything that differs between machines comes from
the environment (see env.py).
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from config.settings.env import env_bool, env_int, env_list, env_str
from config.settings.jazzmin import JAZZMIN_SETTINGS, JAZZMIN_UI_TWEAKS  # noqa: F401
from config.settings.storage import default_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "demo-only-secret-key-never-used-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

# The demo logins of DESIGN.md share one password; it is refused whenever DEBUG is off.
DEMO_PASSWORD = "demo-pass-1405"
DEMO_PASSWORDS_ALLOWED = DEBUG

INSTALLED_APPS = [
    "core",  # first: its admin templates override jazzmin's and Django's
    "jazzmin",
    "enrollment.staff.apps.StaffAdminConfig",  # django.contrib.admin with the staff site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "import_export",
    "django_q",
    "django_prometheus",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "audit",
    "policies",
    "enrollment",
    "enrollment.deductions",
    "enrollment.sms",
    "enrollment.reports",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first and last: the whole request's latency
    "core.request_log.RequestLogMiddleware",  # a request id, and one log line per request (production: JSON)
    "django.middleware.security.SecurityMiddleware",
    # Static files (fonts included) from the app itself, right after the HTTPS redirect and HSTS: a static
    # request is answered here. production.py's storage gives the files hashed names, which WhiteNoise
    # serves compressed and cached for a year.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.csp.CSPMiddleware",  # django-csp's, the policy built once (core/csp.py)
    "core.db_unavailable.DatabaseUnavailableMiddleware",  # a view's OperationalError: the Persian 503 page
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.admin_tools.PersianDigitsMiddleware",  # inside CommonMiddleware, which measures the final content
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "enrollment.staff.sessions.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    # The pensioner's pages and the error pages (portal/jinja2/): Jinja2, first, so a page name is looked up
    # there before the admin's templates (core/jinja.py says why).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "core.jinja.environment",
            # The backend itself adds request, csrf_input and csrf_token.
            "context_processors": ["django.contrib.messages.context_processors.messages"],
        },
    },
    # The admin (the staff cartables) and every app's own templates.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["core.templatetags.jalali"],
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
# A read replica for reading work (core/db_router.py: the dashboard, exports, reconciliation and the monthly
# list read there; everything else, and every write, the primary). deploy/replication.md sets one up.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
DATABASE_ROUTERS = ["core.db_router.ReadingRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "enrollment.staff.auth_backends.LoginLockoutBackend",  # first: axes refuses a locked username or address
    "enrollment.staff.auth_backends.StaffBackend",
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
# Generated files (exports) go through STORAGES["default"]: S3-compatible object storage with
# STORAGE_S3_BUCKET, else the filesystem under MEDIA_ROOT (config/settings/storage.py).
STORAGES = {
    "default": default_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# An export's file is deleted this many days after it was written; the job then says it has expired.
EXPORT_FILES_KEEP_DAYS = env_int("EXPORT_FILES_KEEP_DAYS", 7)

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"  # jazzmin's login form drops Django's `next` field

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2 with its ORM broker: a queued task is a row, committed with the change that queued it.
# Two django-q2 clusters on one broker, so that a login code never waits behind an export:
# - this one ("portal", `manage.py qcluster`): SMS sends and the minute sweep; every task is short
#   (the sweep stops after 50 s, a send after SMS_TIMEOUT);
# - "long" (`Q_CLUSTER_NAME=long manage.py qcluster`): exports and the period rollover, enqueued with
#   cluster=LONG_TASKS_CLUSTER. Its retry must exceed every task's timeout (exports run up to
#   REPORTS_EXPORT_TIMEOUT), or the ORM broker hands a running export out a second time.
# Schedules without a cluster run on this one only.
Q_CLUSTER = {
    "name": "portal",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "catch_up": False,
    "ALT_CLUSTERS": {
        "long": {"workers": env_int("Q_LONG_WORKERS", 2), "timeout": 3600, "retry": 3700, "max_attempts": 5},
    },
}
# The cluster the long jobs are enqueued on. Empty puts them back on the SMS cluster: only to measure what
# the separation buys (bench/sms_during_export.py), never in production.
LONG_TASKS_CLUSTER = env_str("Q_LONG_TASKS_CLUSTER", "long") or None

# A cartable page may show up to a thousand requests (enrollment.cartable.SHOW_ALL_MAX) and a clerk may tick
# them all: each ticked row is one POST field, and Django's default of 1,000 fields would answer 400.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5_000

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

# /readyz (portal/views/health.py): the SMS outbox fails readiness past these limits, a sign that the sender
# (the django-q2 worker or the provider) has stopped.
READYZ_OUTBOX_MAX_QUEUED = env_int("READYZ_OUTBOX_MAX_QUEUED", 5000)
READYZ_OUTBOX_MAX_AGE_SECONDS = env_int("READYZ_OUTBOX_MAX_AGE_SECONDS", 300)  # of the oldest queued or sending

# Sessions are read from the cache and written through to the database: no session query on most
# requests (production.py falls back to the database alone when there is no Redis to read from).
SESSION_ENGINE = "core.sessions"  # Django's cached_db, robust to a cache outage

# Pensioner sign-in (portal/otp.py, portal/pensioner_session.py): one-time SMS codes and their limits.
# The per-address limit counts in CACHES["default"]: with Redis (production) all processes share it.
PENSIONER_SESSION_IDLE_SECONDS = env_int("PENSIONER_SESSION_IDLE_SECONDS", 15 * 60)  # then sign in again
LOGIN_CODE_TTL_SECONDS = 120
LOGIN_CODE_MAX_ATTEMPTS = 5  # wrong tries before a code is void
LOGIN_CODE_RESEND_SECONDS = 60  # the countdown before «ارسال دوباره کد»
LOGIN_CODE_LIMIT_WINDOW_SECONDS = 15 * 60
LOGIN_CODES_PER_NATIONAL_CODE = 3  # per window
LOGIN_CODE_FAILURES_PER_DAY = 100  # wrong codes per national code in 24 hours (NIST SP 800-63B §5.2.2)
LOGIN_CODES_PER_IP = env_int("LOGIN_CODES_PER_IP", 30)  # per window; a Kanoon office may share one address
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "REMOTE_ADDR")  # e.g. HTTP_X_FORWARDED_FOR behind the proxy
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"  # an expired form says so in Persian

# --- Visibility -------------------------------------------------------------------------------------
# The session key of the signed-in pensioner (portal/pensioner_session.py): request log lines name them by id.
LOG_SESSION_SUBJECT_KEY = "portal.pensioner_id"
# /metrics (enrollment/metrics.py) answers these addresses (IPs or networks, as CLIENT_IP_HEADER reads the
# client) or `Authorization: Bearer METRICS_TOKEN`; nobody else. The demo lets this machine scrape it.
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 15)

# --- Content-Security-Policy (django-csp) -------------------------------------------------------------
# On every response: the pensioner pages, the admin, the error pages. Everything loads from this host
# (data: only for images); no inline script, no eval, no nonce needed: our scripts are files in
# core/static/core/js/, and the jazzmin templates that carried inline scripts are overridden in
# core/templates/ with those scripts moved there (tests/portal/test_csp.py finds any that come back).
# One allowance, for styles only: style *attributes* (style-src-attr), which jazzmin's and the admin's
# templates write throughout (widths, margins: without this the browser drops them from the admin's
# layout). <style> elements and style sheets from elsewhere stay refused; the pensioner pages use none.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Staff accounts (enrollment/staff): session limits, login lockouts and the second factor.
# Sessions end after 30 minutes idle and 12 hours in all (ASVS 3.3.2), then the admin login says why.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 60 * 60)
# django-axes on the admin login: a username locks after 5 failures from anywhere, an address after 20
# over any usernames (a whole office shares one address); both lift after the cool-off. See
# enrollment/staff/lockout.py; `manage.py axes_reset_username <name>` / `axes_reset_ip <ip>` unlock early.
STAFF_LOGIN_FAILURES_PER_USERNAME = 5
STAFF_LOGIN_FAILURES_PER_ADDRESS = 20
STAFF_LOGIN_COOLOFF_MINUTES = 30
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own; the handler reads them in this order
AXES_FAILURE_LIMIT = STAFF_LOGIN_FAILURES_PER_USERNAME
AXES_COOLOFF_TIME = STAFF_LOGIN_COOLOFF_MINUTES / 60  # hours, as a float
AXES_HANDLER = "enrollment.staff.lockout.StaffLockoutHandler"
AXES_LOCKOUT_CALLABLE = "enrollment.staff.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "enrollment.staff.lockout.client_address"  # as the pensioner limits count it
# Tries while locked do not extend the lock: a guesser cannot keep a colleague locked out for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful login does not clear the address's count: one valid account must not reset a guesser's.
AXES_RESET_ON_SUCCESS = False
# Second factor (django-otp TOTP + recovery codes) for staff who can act; see enrollment/staff/otp.py.
# Required whenever DEBUG is off (production.py sets it explicitly); the demo's users are exempt.
STAFF_OTP_REQUIRED = not DEBUG
OTP_TOTP_ISSUER = "بیمه تکمیلی"

# The migration linter (core/migration_lint.py, `manage.py lint_migrations`, run by `make test`): the last
# migration of each app when it came (those ran long ago and are not checked again), and the tables large
# enough that a lock on them stops the country.
MIGRATION_LINT_BASELINE = {
    "enrollment": "0007_province_permissions",
    "loans": "0003_history_reason_text",
    "policies": "0003_period_lock_stamps",
    "portal": "0001_initial",
    "reports": "0001_initial",
    "sms": "0004_outbox_sealed_secret",
}
MIGRATION_LINT_LARGE_TABLES = [
    "enrollment.enrollmentrequest",
    "enrollment.historicalenrollmentrequest",
    "enrollment.requestitem",
    "enrollment.pensioner",
    "enrollment.historicalpensioner",
    "enrollment.dependent",
    "enrollment.historicaldependent",
    "loans.deductiondocument",
    "loans.historicaldeductiondocument",
    "sms.outboxmessage",
    "portal.logincode",
]
