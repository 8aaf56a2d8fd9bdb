"""The production-like stack for bench/sms_during_export.py and bench/faults.py, started by the script that
uses it and stopped when it ends: PostgreSQL and Redis of their own (Debian's packages), the fake SMS
provider (tests/smoke/fake_sms_provider.py) and django-q2 clusters, all with config.settings.production.
Not a benchmark: bench/run.py skips files whose name starts with an underscore.

Ports (BENCH_PG_PORT, BENCH_REDIS_PORT, BENCH_SMS_PORT; defaults 55461, 56461, 8461, one more each for the
"faults" stack) and the state directory (BENCH_STACK_DIR, default /tmp/sso-<name>-stack) are its own, apart
from make prod-local's and CI's, and the two scripts' stacks apart from each other.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _django import ROOT

PY = str(ROOT / ".venv" / "bin" / "python")


def _pg_bin() -> Path:
    return sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]


def _as_postgres(*command: str) -> None:
    subprocess.run(["su", "postgres", "-c", " ".join(command)], check=True, stdout=subprocess.DEVNULL)


class Stack:
    """One start()/stop() around a run; every process it starts is its own and is stopped by its pid."""

    def __init__(
        self, name: str, *, fresh: bool = True, sms_timeout: int = 10, slow_seconds: float = 1.5, port_offset: int = 0
    ) -> None:
        self.dir = Path(os.environ.get("BENCH_STACK_DIR", f"/tmp/sso-{name}-stack"))
        self.pg_port = int(os.environ.get("BENCH_PG_PORT", 55461 + port_offset))
        self.redis_port = int(os.environ.get("BENCH_REDIS_PORT", 56461 + port_offset))
        self.sms_port = int(os.environ.get("BENCH_SMS_PORT", 8461 + port_offset))
        self.fresh, self.slow_seconds = fresh, slow_seconds
        self.redis: subprocess.Popen | None = None
        self.provider: subprocess.Popen | None = None
        self.clusters: dict[str, subprocess.Popen] = {}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "SMS_", "Q_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/portal",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
            "SMS_BACKEND": "enrollment.sms.backends.KavenegarBackend",
            "SMS_API_URL": f"http://127.0.0.1:{self.sms_port}/v1",
            "SMS_API_KEY": "test-api-key",
            "SMS_TIMEOUT": str(sms_timeout),
            "MEDIA_ROOT": str(self.dir / "media"),
        }

    # -- the whole stack ---------------------------------------------------------------------------

    def start(self, *, seed_args: tuple[str, ...] = ()) -> None:
        """PostgreSQL, Redis, the provider, migrate; then this process's Django on the same settings."""
        if self.fresh and self.dir.exists():
            self._pg_stop()
            shutil.rmtree(self.dir)
        (self.dir / "media").mkdir(parents=True, exist_ok=True)
        os.environ.update(self.env)
        self.pg_start()
        self.redis_start()
        provider = ["-m", "tests.smoke.fake_sms_provider", "--port", str(self.sms_port)]
        self.provider = self._spawn("provider", [PY, *provider, "--slow-seconds", str(self.slow_seconds)])
        self.manage("migrate", "--noinput")
        self.manage("createcachetable")
        if seed_args:
            self.manage("seed_demo", "--quiet-logins", *seed_args)

    def stop(self) -> None:
        for name in list(self.clusters):
            self.cluster_stop(name)
        for process in (self.provider, self.redis):
            if process and process.poll() is None:
                process.terminate()
                process.wait(10)
        self._pg_stop()

    def manage(self, *args: str) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)

    # -- pieces, for the faults ---------------------------------------------------------------------

    def pg_start(self) -> None:
        data = self.dir / "pg" / "data"
        if not data.exists():
            (self.dir / "pg").mkdir(parents=True, exist_ok=True)
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.dir / "pg", "postgres")
            _as_postgres(
                f"{_pg_bin()}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"
            )
        _as_postgres(
            f"{_pg_bin()}/pg_ctl",
            f"-D {data} -l {self.dir}/pg/log -w start",
            f"-o '-p {self.pg_port} -k {self.dir}/pg -c listen_addresses=127.0.0.1 -c max_connections=200'",
        )
        exists = "SELECT 1 FROM pg_database WHERE datname='portal'"
        probe = f'{_pg_bin()}/psql -h 127.0.0.1 -p {self.pg_port} -tAc "{exists}"'
        found = subprocess.run(["su", "postgres", "-c", probe], capture_output=True, text=True).stdout.strip()
        if found != "1":
            _as_postgres(f"{_pg_bin()}/createdb", "-h 127.0.0.1", f"-p {self.pg_port}", "portal")

    def _pg_stop(self) -> None:
        data = self.dir / "pg" / "data"
        if data.exists():
            subprocess.run(
                ["su", "postgres", "-c", f"{_pg_bin()}/pg_ctl -D {data} -m fast stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def pg_restart(self, down_seconds: float) -> None:
        self._pg_stop()
        time.sleep(down_seconds)
        self.pg_start()

    def redis_start(self) -> None:
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(0.5)

    def redis_restart(self, down_seconds: float) -> None:
        """Redis without persistence, as its restart loses the queued tasks: the sweep must make up for them."""
        self.redis.terminate()
        self.redis.wait(10)
        time.sleep(down_seconds)
        self.redis_start()

    def cluster_start(self, name: str, *, cluster: str = "", workers: int = 2, extra: dict | None = None) -> None:
        """One `manage.py qcluster`: the SMS cluster, or with cluster="long" the long jobs'."""
        env = {**self.env, "Q_WORKERS": str(workers), "Q_LONG_WORKERS": str(workers), **(extra or {})}
        if cluster:
            env["Q_CLUSTER_NAME"] = cluster
        log = open(self.dir / f"qcluster-{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        self.clusters[name] = subprocess.Popen(
            [PY, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )

    def cluster_kill(self, name: str) -> None:
        """SIGKILL to every process of that cluster: a worker machine that dies mid-task."""
        process = self.clusters.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def cluster_stop(self, name: str) -> None:
        process = self.clusters.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    # -- the fake provider ----------------------------------------------------------------------------

    def provider_mode(self, mode: str) -> None:
        self._provider_post(f"mode={mode}")

    def provider_dedup(self, on: bool) -> None:
        self._provider_post(f"dedup={int(on)}")

    def _provider_post(self, body: str) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.sms_port}/mode", data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5):
            pass

    def provider_calls(self) -> list[dict]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.sms_port}/calls", timeout=10) as response:
            return json.loads(response.read())

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        time.sleep(1)
        if process.poll() is not None:
            sys.exit(f"{name} did not start; see {self.dir}/{name}.log")
        return process
