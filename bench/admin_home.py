"""The manager's admin home «/admin/», cold (every cache empty, as after a deploy) and warm: time and queries.

    DATABASE_URL=postgres://user@host:port/db python bench/admin_home.py [--runs R]

Measures over whatever the database named by DATABASE_URL holds (bench/run.py runs bench/cartable.py
first, which seeds the requests); creates the user bench_manager (the manager role, every row in scope).
Cold: the cache cleared, then one request. Warm: the median of --runs requests after it. The target of
issue 12: every page under 2 s, this one included, cold.
"""

import argparse
import os
import statistics
import sys
import time

from _django import django_setup
from _summary import headline

URL = "/admin/"
TARGET_MS = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("bench/admin_home.py: set DATABASE_URL to the benchmark's database", file=sys.stderr)
        return 2
    django_setup()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from enrollment import roles
    from enrollment.models import EnrollmentRequest

    call_command("migrate", verbosity=0, interactive=False)
    user, _ = User.objects.update_or_create(username="bench_manager", defaults={"is_staff": True, "is_active": True})
    user.groups.set([roles.roles_ensure()[roles.MANAGER]])
    client = Client()
    client.force_login(user)

    def request() -> tuple[int, float, int]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            status = client.get(URL).status_code
            return status, (time.perf_counter() - started) * 1000, len(captured)

    with override_settings(STAFF_OTP_REQUIRED=False):  # the second factor's check is not this page's cost
        cache.clear()
        cold = request()
        warm = [request() for _ in range(args.runs)]
    warm_ms = statistics.median(ms for _, ms, _ in warm)
    print(f"database: {EnrollmentRequest.objects.count():,} requests")
    print(f"{'manager home':<14} {'status':>6} {'ms':>9} {'queries':>8}")
    print(f"{'cold':<14} {cold[0]:>6} {cold[1]:>9.0f} {cold[2]:>8}")
    print(f"{'warm (median)':<14} {warm[-1][0]:>6} {warm_ms:>9.0f} {warm[-1][2]:>8}")
    target = f"< {TARGET_MS} ms"
    headline("manager's admin home, cold", f"{cold[1]:.0f} ms, {cold[2]} q", target, cold[1] < TARGET_MS)
    headline("manager's admin home, warm", f"{warm_ms:.0f} ms, {warm[-1][2]} q", target, warm_ms < TARGET_MS)
    return 0 if cold[0] == 200 and all(status == 200 for status, _, _ in warm) else 1


if __name__ == "__main__":
    sys.exit(main())
