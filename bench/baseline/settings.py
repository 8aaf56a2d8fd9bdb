"""The plain-form baseline of bench/wizard_load.py: Django with sessions and CSRF, one form, two inserts,
on the same PostgreSQL, under the same gunicorn. What a page of the wizard is measured against."""

import os

import dj_database_url

SECRET_KEY = "baseline-only-" + "x" * 50
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.sessions"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "bench.baseline.urls"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": False}]
USE_TZ = True
SESSION_ENGINE = "django.contrib.sessions.backends.db"
