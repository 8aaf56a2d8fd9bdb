"""Where generated files (exports) live: STORAGES["default"], read by base.py and production.py.

With STORAGE_S3_BUCKET: S3-compatible object storage through django-storages, so that the machine that
wrote an export and the one that serves its download need not be the same. Without it: the filesystem
under MEDIA_ROOT (the demo, and a site on one machine).
"""

from config.settings.env import env_str

S3_BACKEND = "storages.backends.s3.S3Storage"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"


def default_storage() -> dict:
    bucket = env_str("STORAGE_S3_BUCKET")
    if not bucket:
        return {"BACKEND": FILESYSTEM_BACKEND}
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL") or None,  # empty: Amazon's own endpoint
        "region_name": env_str("STORAGE_S3_REGION") or None,
        # Empty: boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role, ...).
        "access_key": env_str("STORAGE_S3_ACCESS_KEY") or None,
        "secret_key": env_str("STORAGE_S3_SECRET_KEY") or None,
        "location": env_str("STORAGE_S3_PREFIX"),  # a folder of a shared bucket, e.g. "sso-insurance"
        "addressing_style": env_str("STORAGE_S3_ADDRESSING_STYLE", "path") or None,  # most on-premise servers
        "default_acl": None,  # private: the bucket's policy; objects are never public
        "querystring_auth": True,  # any URL the storage hands out is signed and short-lived
        "querystring_expire": 300,
        "file_overwrite": False,  # a name taken gets a suffix, never another job's file
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}
