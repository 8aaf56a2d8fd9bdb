"""How long a sign-in code takes from the request to the SMS provider while large exports run: with the long
jobs on their own cluster, and with everything on one cluster as before.

    python bench/sms_during_export.py [--pensioners N] [--exports E] [--codes K]

Starts its own production-like stack (bench/_stack.py: PostgreSQL, Redis as the broker, the fake
Kavenegar), seeds N synthetic pensioners (default BENCH_PENSIONERS or 200,000; the stack's database is
kept between runs and seeded only up to N), then twice:

- separate: the SMS cluster (2 workers) and the "long" cluster (2 workers); the exports go to "long";
- shared: the SMS cluster alone (2 workers), which then takes the exports too (LONG_TASKS_CLUSTER empty).

Each time it starts E exports of every pensioner (CSV; default 2, as many as the SMS cluster's workers:
several staff exporting at once), waits until they run, then requests K sign-in codes (default 20), one a
second, each through portal.otp.login_code_request for a pensioner not asked before, and prints for each
mode the seconds from the request to the provider's receipt (p50 and max) and the exports' duration. A code
that could not leave within its 5 minutes is dropped by the sender (a stale code only confuses), and
counted as such.
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass

from _django import django_setup
from _stack import Stack

USERNAME = "bench_manager"
WAIT_AFTER_EXPORTS = 120  # seconds to wait for late codes once the exports are over


@dataclass
class Outcome:
    mode: str
    latencies: list[float]
    undelivered: int
    export_seconds: list[float]
    export_rows: int


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pensioners", type=int, default=int(os.environ.get("BENCH_PENSIONERS", 200_000)))
    parser.add_argument("--exports", type=int, default=2)
    parser.add_argument("--codes", type=int, default=20)
    args = parser.parse_args()

    stack = Stack("bench", fresh=False)
    try:
        stack.start()
        django_setup()
        import logging

        logging.disable(logging.WARNING)
        _seed(stack, args.pensioners)
        national_codes = _national_codes(2 * args.codes)
        outcomes = [
            _measure(stack, "separate", national_codes[: args.codes], exports=args.exports),
            _measure(stack, "shared", national_codes[args.codes :], exports=args.exports),
        ]
    finally:
        stack.stop()
    _report(outcomes, exports=args.exports)
    return 0


def _seed(stack: Stack, pensioners: int) -> None:
    from enrollment.models import Pensioner

    if Pensioner.objects.count() < pensioners:  # seed_demo --pensioners is the synthetic total, not more
        print(f"seeding up to {pensioners:,} synthetic pensioners ...", flush=True)
        started = time.monotonic()
        stack.manage("seed_demo", "--quiet-logins", "--pensioners", str(pensioners))
        print(f"  {time.monotonic() - started:.0f} s", flush=True)
    # Freshly inserted rows make their first reader set their hint bits: the first mode's exports would be
    # slower than the second's. Both modes read a vacuumed table.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _national_codes(count: int) -> list[str]:
    from enrollment.models import Pensioner

    codes = list(Pensioner.objects.exclude(mobile="").order_by("?").values_list("national_code", flat=True)[:count])
    assert len(codes) == count, "not enough pensioners with a mobile"
    return codes


def _manager():
    from django.contrib.auth.models import User

    from enrollment import roles

    user, _ = User.objects.update_or_create(username=USERNAME, defaults={"is_staff": True, "is_active": True})
    user.groups.set([roles.roles_ensure()[roles.MANAGER]])
    return user


def _measure(stack: Stack, mode: str, national_codes: list[str], *, exports: int) -> Outcome:
    from django.conf import settings
    from django.db import transaction

    from enrollment.reports.exports import export_start
    from enrollment.reports.models import ExportFormat, ExportJob, ExportKind, ExportStatus

    print(f"\n--- {mode}", flush=True)
    stack.cluster_start("sms", workers=2)
    if mode == "separate":
        stack.cluster_start("long", cluster="long", workers=2)
        settings.LONG_TASKS_CLUSTER = "long"
    else:
        settings.LONG_TASKS_CLUSTER = None
    settings.LOGIN_CODES_PER_IP = 10**9
    time.sleep(5)
    user = _manager()
    with transaction.atomic():
        jobs = [
            export_start(user=user, kind=ExportKind.PENSIONERS, file_format=ExportFormat.CSV) for _ in range(exports)
        ]
    job_ids = [job.pk for job in jobs]
    deadline = time.monotonic() + 60
    while ExportJob.objects.filter(pk__in=job_ids, status=ExportStatus.RUNNING).count() < exports:
        assert time.monotonic() < deadline, "the exports did not start"
        time.sleep(0.5)
    print(f"{exports} export(s) running; requesting {len(national_codes)} sign-in codes", flush=True)

    requested = _request_codes(national_codes)
    while ExportJob.objects.filter(pk__in=job_ids, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).exists():
        time.sleep(2)
    done = ExportJob.objects.filter(pk__in=job_ids)
    export_seconds = [(job.finished_at - job.started_at).total_seconds() for job in done if job.started_at]
    print(f"exports over: {[f'{s:.0f} s' for s in export_seconds]}, {[job.rows_written for job in done]} rows")
    latencies, undelivered = _latencies(stack, requested, wait=WAIT_AFTER_EXPORTS)
    for name in list(stack.clusters):
        stack.cluster_stop(name)
    return Outcome(mode, latencies, undelivered, export_seconds, max(job.rows_written for job in done))


def _request_codes(national_codes: list[str]) -> dict[int, float]:
    """Outbox id → when its code was asked for, one a second, each from an address of its own."""
    from enrollment.sms.models import OutboxMessage
    from portal.otp import login_code_request

    requested = {}
    for n, national_code in enumerate(national_codes):
        at = time.time()
        login_code_request(national_code=national_code, ip=f"10.9.{n // 250}.{n % 250 + 1}")
        message = OutboxMessage.objects.filter(template="login_code").order_by("-pk").first()
        requested[message.pk] = at
        time.sleep(max(0.0, at + 1 - time.time()))
    return requested


def _latencies(stack: Stack, requested: dict[int, float], *, wait: float) -> tuple[list[float], int]:
    """Seconds from each request to the provider's first receipt; and how many never got there."""
    from enrollment.sms.models import OutboxMessage, OutboxStatus

    deadline = time.monotonic() + wait
    while True:
        arrived = {}
        for call in stack.provider_calls():
            arrived.setdefault(int(call["localid"]), call["at"])
        waiting = OutboxMessage.objects.filter(
            pk__in=[pk for pk in requested if pk not in arrived], status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING]
        ).exists()
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(2)
    latencies = [arrived[pk] - at for pk, at in requested.items() if pk in arrived]
    return latencies, len(requested) - len(latencies)


def _report(outcomes: list[Outcome], *, exports: int) -> None:
    rows = max(o.export_rows for o in outcomes)
    print(f"\n{exports} export(s) of {rows:,} rows each (CSV), running while the codes are requested")
    print(f"{'':10} {'codes':>6} {'p50 s':>7} {'max s':>7} {'not sent':>9} {'export s':>9}")
    for o in outcomes:
        p50 = f"{statistics.median(o.latencies):.2f}" if o.latencies else "-"
        worst = f"{max(o.latencies):.2f}" if o.latencies else "-"
        export = f"{max(o.export_seconds):.0f}" if o.export_seconds else "-"
        print(f"{o.mode:10} {len(o.latencies):>6} {p50:>7} {worst:>7} {o.undelivered:>9} {export:>9}")


if __name__ == "__main__":
    sys.exit(main())
