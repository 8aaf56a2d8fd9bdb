"""A real S3-compatible server for the storage tests: moto's standalone server, a process of its own on a free
port, started once per session; each test gets a bucket of its own and STORAGES["default"] pointed at it
(django-storages' S3 backend, as config/settings/storage.py builds it from STORAGE_S3_* in production).

Use the fixtures by importing them into a conftest: `from tests.s3 import s3_server, s3_storage`.
"""

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REGION = "us-east-1"
KEY, SECRET = "portal-test-key", "portal-test-secret"  # moto accepts any credentials


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _moto_command(port: int) -> list[str]:
    server = Path(sys.executable).with_name("moto_server")
    if server.exists():
        return [str(server), "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a moto server running for the whole session."""
    pytest.importorskip("moto.server", reason="moto[server] (a dev dependency) is not installed")
    pytest.importorskip("storages", reason="django-storages (a dependency) is not installed")
    port = _free_port()
    process = subprocess.Popen(_moto_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start on port {port}") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str
    client: object  # a boto3 S3 client, to look at the bucket behind the application's back

    def object_keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def env(self) -> dict[str, str]:
        """The environment another process needs to reach the same bucket (config/settings/storage.py)."""
        return {
            "STORAGE_S3_BUCKET": self.bucket,
            "STORAGE_S3_ENDPOINT_URL": self.endpoint,
            "STORAGE_S3_REGION": REGION,
            "STORAGE_S3_ACCESS_KEY": KEY,
            "STORAGE_S3_SECRET_KEY": SECRET,
        }


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch, tmp_path) -> S3:
    """A new bucket, and STORAGES["default"] on it, exactly as production builds it from the environment.
    MEDIA_ROOT points at an empty directory, which the tests can check stays empty."""
    import boto3

    from config.settings.storage import default_storage

    bucket = f"exports-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=SECRET
    )
    client.create_bucket(Bucket=bucket)
    s3 = S3(endpoint=s3_server, bucket=bucket, client=client)
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": default_storage()}
    yield s3
    for key in s3.object_keys():
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


def media_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
