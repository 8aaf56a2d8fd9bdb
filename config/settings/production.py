"""Production: PostgreSQL from DATABASE_URL, secrets from the environment, HTTPS only.

Refuses to start without a real secret key or a database URL rather than fall back to the demo's.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.env import env_bool, env_int, env_list, env_str

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

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    Q_CLUSTER = {**Q_CLUSTER, "redis": REDIS_URL}  # noqa: F405
    Q_CLUSTER.pop("orm", None)
    # Between an import's dry run and its confirmation the file must be readable from any machine.
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
else:
    # One cache for every gunicorn worker: sign-in limits, staff scopes and their invalidation must be
    # shared, which per-process memory is not (`manage.py createcachetable` makes the table).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}}
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
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

# Staff accounts: every staff member who can act signs in with a second factor (enrollment/staff/otp.py).
STAFF_OTP_REQUIRED = True
