"""Whether the sign-in page's answer takes as long for a national code in the registry as for one that is not.

    DATABASE_URL=postgres://user@host:port/db python bench/signin_timing.py [--tries N]

Migrates the database named by DATABASE_URL, takes a pensioner from it (or seeds the demo world when
it has none) and a valid national code that is in no registry, then POSTs each to the sign-in page
with the Django test client (DEBUG off, the real view, a new visitor each time), N times each
(default 200) after a warm-up, alternating the two so that drift touches both alike. The per-national-
code and per-address limits are lifted for the run, so every try issues a code: the path whose work
differs most (an SMS for one, none for the other). It prints, side by side, the median, the 10th and
90th percentiles and the queries of one try, and the median of the "code still fresh" answer. The codes,
messages and queued send tasks it made are deleted at the end.
"""

import argparse
import functools
import logging
import os
import statistics
import sys
import time

from _django import django_setup

LOGIN = "/login/"  # portal:login
WARM_UP = 10


def main() -> int:
    args = _arguments()
    if not os.environ.get("DATABASE_URL"):
        print(
            "bench/signin_timing.py: set DATABASE_URL to the database to measure, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench\n"
            "It adds the demo world there when it has no pensioner: never the demo's db.sqlite3.",
            file=sys.stderr,
        )
        return 2
    django_setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # one "Enqueued" line per issued code
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", verbosity=0, interactive=False)
    registered, unknown = _national_codes()
    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    print(f"registered {registered}, unknown {unknown}; {args.tries} tries each after {WARM_UP} to warm up\n")
    made = _made_so_far()
    try:
        lifted = {"LOGIN_CODES_PER_NATIONAL_CODE": 10**9, "LOGIN_CODES_PER_IP": 10**9}
        with override_settings(**lifted, LOGIN_CODE_RESEND_SECONDS=0):
            issued = _compare(registered, unknown, tries=args.tries)
        with override_settings(**lifted):  # the countdown is back: nothing is issued
            fresh = _compare(registered, unknown, tries=args.tries)
    finally:
        _clean_up(made, [registered, unknown])
    _report("a code is issued", issued)
    _report("the previous code is still fresh", fresh)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=200, help="timed POSTs per national code")
    return parser.parse_args()


def _national_codes() -> tuple[str, str]:
    from core.identity import national_code_check_digit
    from enrollment.models import Pensioner
    from fixtures.demo import demo_world_ensure

    pensioner = Pensioner.objects.order_by("pk").first()
    if pensioner is None:
        demo_world_ensure()
        pensioner = Pensioner.objects.order_by("pk").first()
    for n in range(999_999_999, 0, -1):
        first_nine = f"{n:09d}"
        candidate = first_nine + national_code_check_digit(first_nine)
        if len(set(candidate)) > 1 and not Pensioner.objects.filter(national_code=candidate).exists():
            return pensioner.national_code, candidate
    raise RuntimeError("no free national code")


def _made_so_far() -> dict[str, int]:
    """The highest ids before the run: everything above them the run made."""
    from django.db.models import Max
    from django_q.models import OrmQ

    from enrollment.sms.models import OutboxMessage

    return {
        "outbox": OutboxMessage.objects.aggregate(top=Max("pk"))["top"] or 0,
        "ormq": OrmQ.objects.aggregate(top=Max("pk"))["top"] or 0,
    }


def _clean_up(made: dict[str, int], national_codes: list[str]) -> None:
    from django_q.models import OrmQ

    from enrollment.sms.models import OutboxMessage
    from portal.models import LoginCode

    LoginCode.objects.filter(national_code__in=national_codes).delete()
    OutboxMessage.objects.filter(pk__gt=made["outbox"], template="login_code").delete()
    OrmQ.objects.filter(pk__gt=made["ormq"]).delete()


def _post(national_code: str) -> float:
    client = _visitor()
    started = time.perf_counter()
    response = client.post(LOGIN, {"national_code": national_code})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 302:
        raise RuntimeError(f"{national_code}: {response.status_code} {response.content[:300]!r}")
    return elapsed


def _visitor():
    """A new visitor (no cookies) on the one handler a server process has: a new test Client would build
    the middleware again, and WhiteNoise's reads every static file's headers as it starts."""
    client = _client()
    client.cookies.clear()
    return client


@functools.cache
def _client():
    from django.test import Client

    return Client()


def _queries(national_code: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _post(national_code)
    return len(captured)


def _compare(registered: str, unknown: str, *, tries: int) -> dict[str, dict]:
    for _ in range(WARM_UP):
        _post(registered)
        _post(unknown)
    timings: dict[str, list[float]] = {registered: [], unknown: []}
    for n in range(tries):
        order = (registered, unknown) if n % 2 == 0 else (unknown, registered)
        for national_code in order:
            timings[national_code].append(_post(national_code))
    return {
        label: {"timings": timings[code], "queries": _queries(code)}
        for label, code in (("registered", registered), ("unknown", unknown))
    }


def _report(title: str, results: dict[str, dict]) -> None:
    print(f"{title}:")
    print(f"  {'':<12}{'median ms':>11}{'p10 ms':>9}{'p90 ms':>9}{'queries':>9}")
    for label, result in results.items():
        deciles = statistics.quantiles(result["timings"], n=10)
        median = statistics.median(result["timings"])
        print(f"  {label:<12}{median:>11.2f}{deciles[0]:>9.2f}{deciles[-1]:>9.2f}{result['queries']:>9}")
    medians = [statistics.median(result["timings"]) for result in results.values()]
    print(f"  difference of the medians: {medians[0] - medians[1]:+.2f} ms\n")


if __name__ == "__main__":
    sys.exit(main())
