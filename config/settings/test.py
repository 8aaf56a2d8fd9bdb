"""Settings for the test suite: SQLite by default, PostgreSQL when DATABASE_URL is set (as in CI)."""

from config.settings.base import *  # noqa: F403

DEBUG = False
DEMO_PASSWORDS_ALLOWED = True
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The tests never run collectstatic (tests/config/test_static_production.py does, into a directory of its
# own): WhiteNoise finds the files where the apps keep them, as the demo's runserver does.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["NAME"] = ":memory:"  # noqa: F405
# The read replica (core/db_router.py) as a mirror of the default database, on SQLite and PostgreSQL alike,
# so that the whole suite goes through the routing. tests/conftest.py points the alias at the default's
# connection for each database test (a mirror is otherwise a second connection, outside the test's
# transaction); tests marked `replica_connection` keep it separate to see which alias each path reads.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405

# Staff accounts: tests log staff in with force_login and no second factor; the tests of the second
# factor turn it on (tests/portal/test_staff_otp.py). axes stays on: its attempts live in the test database.
STAFF_OTP_REQUIRED = False
