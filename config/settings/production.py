"""Production: PostgreSQL from DATABASE_URL, secrets from the environment, HTTPS only.

Refuses to start without a real secret key or a database URL rather than fall back to the demo's.
"""

from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url

from config.settings.base import *  # noqa: F403
from config.settings.env import env_bool, env_int, env_list, env_str
from core.request_log import JSON_LOG_FORMATTER

DEBUG = False
DEMO_PASSWORDS_ALLOWED = False

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
if not env_str("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must point at the PostgreSQL primary")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # the load balancer's probes come over plain http
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# `manage.py collectstatic` writes every file under a name with its content's hash (its url() references
# rewritten to match) and a gzip copy; WhiteNoise (base.py's middleware) serves those names with a one-year
# Cache-Control, the unhashed originals with a short one. The manifest refuses any name it lacks.
STORAGES = {
    "default": STORAGES["default"],  # noqa: F405  base.py's: S3 with STORAGE_S3_BUCKET, else MEDIA_ROOT
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The database cache table (`manage.py createcachetable`): the cache itself without Redis, and with Redis
# the place the sign-in limits are counted while Redis is away (core/ratelimit.py).
DATABASE_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",  # Django's, with one client per pool
            "LOCATION": REDIS_URL,
            # A Redis that is down or stalled costs a request half a second, not a worker's whole timeout.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "ratelimit_fallback": DATABASE_CACHE,
    }
    # The broker's connection with timeouts too: with Redis away, handing a task over fails in a second (the
    # outbox keeps the SMS for the sweep) instead of holding the request. 5 s: more than the broker's 1 s poll.
    BROKER = parse_url(REDIS_URL)
    if BROKER.pop("connection_class", None) is not None:  # rediss://
        BROKER["ssl"] = True
    Q_CLUSTER = {**Q_CLUSTER, "redis": {**BROKER, "socket_connect_timeout": 1, "socket_timeout": 5}}  # noqa: F405
    Q_CLUSTER.pop("orm", None)
    # Between an import's dry run and its confirmation the file must be readable from any machine.
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
else:
    # One cache for every gunicorn worker: sign-in limits, staff scopes and their invalidation must be
    # shared, which per-process memory is not (`manage.py createcachetable` makes the table).
    CACHES = {"default": DATABASE_CACHE}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"  # a cache in the database would only add a query
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

# JSON lines on stderr, one object a record: time, level, logger, message, and the request's id, path, user
# or pensioner id (core/request_log.py); `portal.request` writes one line per request with status and duration.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "core.request_log.RequestContextFilter"}},
    "formatters": {"json": JSON_LOG_FORMATTER},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
}

# Behind the README's proxy every connection comes from the proxy's own address: left at REMOTE_ADDR, the
# per-address sign-in limit would count every pensioner of the country as one. The header must be chosen.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER")
if not CLIENT_IP_HEADER:
    raise ImproperlyConfigured(
        "CLIENT_IP_HEADER must name where the client's address is read: HTTP_X_FORWARDED_FOR behind the "
        "README's proxy (the last address the proxy appended), or REMOTE_ADDR when clients connect directly"
    )

# SMS: the real provider needs its address and key; refuse to start rather than fail every message.
if SMS_BACKEND == "enrollment.sms.backends.KavenegarBackend" and not (SMS_API_URL and SMS_API_KEY):  # noqa: F405
    raise ImproperlyConfigured("SMS_API_URL and SMS_API_KEY must be set for the Kavenegar SMS backend")
# The default backend, base.py's, sends nothing: messages stay in the outbox, and no pensioner would receive a
# sign-in code; the console backend only prints them (codes included) to the worker's log. Only a staging machine
# runs so, and it must say so.
SMS_OUTBOX_ONLY_ALLOWED = env_bool("SMS_OUTBOX_ONLY_ALLOWED", False)
SENDS_NOTHING = ("enrollment.sms.backends.OutboxOnlyBackend", "enrollment.sms.backends.ConsoleBackend")
if SMS_BACKEND in SENDS_NOTHING and not SMS_OUTBOX_ONLY_ALLOWED:  # noqa: F405
    raise ImproperlyConfigured(
        f"SMS_BACKEND is {SMS_BACKEND}, which sends no SMS: set "  # noqa: F405
        "SMS_BACKEND=enrollment.sms.backends.KavenegarBackend with SMS_API_URL and SMS_API_KEY, or, on a staging "
        "machine whose messages may stay in the outbox, SMS_OUTBOX_ONLY_ALLOWED=true"
    )

# /metrics is closed unless the scraper's addresses or a token are given (see base.py).
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES")

# Staff accounts: every staff member who can act signs in with a second factor (enrollment/staff/otp.py).
STAFF_OTP_REQUIRED = True
