"""How the registry's admin lists behave on national data: status, queries, full counts, time.

    DATABASE_URL=postgres://user@host:port/db python bench/admin_lists.py [--pensioners N] [--runs R]

Migrates the database named by DATABASE_URL and seeds it up to N synthetic pensioners (default
1,000,000, or BENCH_PENSIONERS), then requests each registry changelist and a few variants with the
Django test client as a superuser, and a few as a Kanoon user, who sees one county (it creates the
users bench_superuser and bench_kanoon). PostgreSQL is what this is for (its row estimates are part
of what is measured); a SQLite URL works too.
"""

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _django import django_setup
from _summary import headline

if TYPE_CHECKING:
    from django.test import Client

SLOW_MS = 300
FULL_COUNT = re.compile(r"SELECT COUNT\(\*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    who: str
    url: str
    expect: int = 200  # the status the page is meant to answer with


@dataclass(frozen=True)
class Result:
    case: Case
    status: int
    queries: int
    full_count: str
    median_ms: float
    slowest_ms: float
    slowest_sql: str


def main() -> int:
    args = _arguments()
    if not os.environ.get("DATABASE_URL"):
        print(
            "bench/admin_lists.py: set DATABASE_URL to the database to seed and measure, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench  (what this benchmark is for)\n"
            "  DATABASE_URL=sqlite:////tmp/portal-bench.sqlite3\n"
            "It adds up to --pensioners synthetic pensioners there: never the demo's db.sqlite3.",
            file=sys.stderr,
        )
        return 2
    django_setup()
    _database_prepare(args.pensioners)
    clients = _clients()
    from django.test import override_settings

    with override_settings(STAFF_OTP_REQUIRED=False):  # the second factor's check is not these pages' cost
        results = [_measure(case, clients[case.who], args.runs) for case in _cases(args.pensioners)]
    _report(results)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("BENCH_PENSIONERS", 1_000_000))
    parser.add_argument("--pensioners", type=int, default=default, help="synthetic pensioners to have (seeds if fewer)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page, after one warm-up")
    return parser.parse_args()


def _database_prepare(pensioners: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from fixtures.synthetic import synthetic_pensioners_ensure

    call_command("migrate", verbosity=0, interactive=False)
    synthetic_pensioners_ensure(total=pensioners, out=sys.stdout)
    if connection.vendor == "postgresql":
        # The unfiltered lists take pg_class.reltuples, which only ANALYZE (or autovacuum) sets.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")


def _cases(pensioners: int) -> list[Case]:
    from enrollment.models import Pensioner, Province
    from fixtures.synthetic import PENSION_NUMBER_PREFIX

    sample = Pensioner.objects.get(pension_number=f"{PENSION_NUMBER_PREFIX}{pensioners // 2:08d}")
    dependent = sample.dependents.first() or Pensioner.objects.filter(dependents__isnull=False).first()
    province = Province.objects.get(code="07")
    admin = "/admin/enrollment"
    return [
        Case("superuser", f"{admin}/pensioner/"),
        Case("superuser", f"{admin}/pensioner/?p=50"),
        # Past ADMIN_COUNT_CAP rows the list has no pages (no OFFSET over millions): the admin's own
        # answer to a page that does not exist, a redirect to the first page with its notice.
        Case("superuser", f"{admin}/pensioner/?p=10000", expect=302),
        Case("superuser", f"{admin}/pensioner/?is_colleague__exact=1"),
        Case("superuser", f"{admin}/pensioner/?file_active__exact=0"),
        Case("superuser", f"{admin}/pensioner/?province={province.pk}"),
        Case("superuser", f"{admin}/pensioner/?q={sample.national_code}"),
        Case("superuser", f"{admin}/pensioner/?q={sample.pension_number}"),
        Case("superuser", f"{admin}/pensioner/?q={sample.last_name}"),
        Case("superuser", f"{admin}/pensioner/?o=2"),
        Case("superuser", f"{admin}/pensioner/{sample.pk}/change/"),
        Case("superuser", f"{admin}/dependent/"),
        Case("superuser", f"{admin}/dependent/?p=50"),
        Case("superuser", f"{admin}/dependent/?relation__exact=parent"),
        Case("superuser", f"{admin}/dependent/?has_supplementary__exact=1"),
        Case("superuser", f"{admin}/dependent/?q={dependent.national_code}"),
        Case("superuser", f"{admin}/dependent/?q={sample.national_code}"),
        Case("superuser", f"{admin}/dependent/{dependent.pk}/change/"),
        Case("superuser", f"{admin}/branch/"),
        Case("superuser", f"{admin}/branch/?province__id__exact={province.pk}"),
        Case("superuser", f"{admin}/county/"),
        Case("superuser", f"{admin}/county/?province__id__exact={province.pk}"),
        Case("superuser", f"{admin}/kanoon/"),
        Case("superuser", f"{admin}/province/"),
        Case("kanoon", f"{admin}/pensioner/"),
        Case("kanoon", f"{admin}/pensioner/?q={sample.national_code}"),
        Case("kanoon", f"{admin}/dependent/"),
        Case("kanoon", f"{admin}/kanoon/"),
    ]


def _clients() -> dict[str, "Client"]:
    """A logged-in test client per kind of user: a superuser, and the staff of one synthetic Kanoon."""
    from django.contrib.auth.models import User
    from django.test import Client

    from enrollment import roles
    from enrollment.models import Kanoon

    superuser, _ = User.objects.update_or_create(
        username="bench_superuser", defaults={"is_staff": True, "is_superuser": True, "is_active": True}
    )
    kanoon_user, _ = User.objects.update_or_create(
        username="bench_kanoon", defaults={"is_staff": True, "is_superuser": False, "is_active": True}
    )
    kanoon_user.groups.set([roles.roles_ensure()[roles.KANOON_STAFF]])
    roles.kanoon_assign(user=kanoon_user, kanoon=Kanoon.objects.get(county__code="S0701"))
    clients = {}
    for who, user in [("superuser", superuser), ("kanoon", kanoon_user)]:
        clients[who] = Client()
        clients[who].force_login(user)
    return clients


def _measure(case: Case, client: "Client", runs: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(case.url)  # warm-up: templates, caches, the database's pages
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(case.url)
            timings.append((time.perf_counter() - started) * 1000)
    queries = captured.captured_queries
    slowest = max(queries, key=lambda q: float(q["time"]), default={"time": "0", "sql": ""})
    return Result(
        case=case,
        status=response.status_code,
        queries=len(queries),
        full_count=_full_count(queries),
        median_ms=statistics.median(timings),
        slowest_ms=float(slowest["time"]) * 1000,
        slowest_sql=slowest["sql"],
    )


def _full_count(queries: list[dict]) -> str:
    """'table' for a COUNT(*) over a whole table, 'filtered' for one with a WHERE but no LIMIT, else '-'.

    The capped count of core.admin_tools counts a LIMITed subquery, which this does not flag.
    """
    kinds = set()
    for query in queries:
        sql = query["sql"].upper()
        if FULL_COUNT.search(sql) and " LIMIT " not in sql:
            kinds.add("filtered" if " WHERE " in sql else "table")
    return ",".join(sorted(kinds)) or "-"


def _report(results: list[Result]) -> None:
    print()
    print(f"{'who':<10} {'status':>6} {'queries':>7} {'full COUNT':>10} {'median ms':>9} {'slowest q':>9}  url")
    for r in results:
        print(
            f"{r.case.who:<10} {r.status:>6} {r.queries:>7} {r.full_count:>10} {r.median_ms:>9.1f} "
            f"{r.slowest_ms:>9.1f}  {r.case.url}"
        )
    slowest = max(results, key=lambda r: r.median_ms)
    headline(
        "registry pages, slowest median",
        f"{slowest.median_ms:.0f} ms",
        "< 2000 ms",
        slowest.median_ms < 2000 and all(r.status == r.case.expect for r in results),
    )
    slow = [r for r in results if r.median_ms > SLOW_MS or r.status != r.case.expect or r.full_count != "-"]
    for r in slow:
        print(f"\n!! {r.case.who} {r.case.url}: {r.status}, {r.median_ms:.0f} ms; slowest query {r.slowest_ms:.0f} ms:")
        print(f"   {r.slowest_sql[:1500]}")


if __name__ == "__main__":
    sys.exit(main())
