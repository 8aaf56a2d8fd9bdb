"""The audit log's page on 20,000,000 entries: first page, one clerk's approvals of one day, a deep page,
a search, a province manager's page; each with its queries, time and PostgreSQL's plan.

    DATABASE_URL=postgres://user@host:port/db python bench/audit_log.py [--rows N] [--runs R]

Migrates the database named by DATABASE_URL and fills the log up to N entries (default 20,000,000, or
BENCH_AUDIT_ROWS) with INSERT ... SELECT over generate_series, its indexes dropped while it fills and built
again after (much faster than keeping ten indexes up to date row by row), then ANALYZE. The entries: one
every three seconds back from now (about two years), 2,000 clerks, 31 provinces, 430 Kanoons, 600 branches;
one of the clerks is the real user bench_audit_clerk. Each page is requested through the admin with
Django's test client as an auditor (bench_auditor) or a province manager (bench_audit_province); the
entries' query is then run under EXPLAIN ANALYZE and the indexes it used are printed. PostgreSQL only.
"""

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _django import django_setup

if TYPE_CHECKING:
    from django.test import Client

LOG = "/admin/audit/auditentry/"
CLERKS = 2000
BATCH = 1_000_000
SLOW_MS = 300


@dataclass(frozen=True)
class Case:
    name: str
    who: str
    query: str


@dataclass(frozen=True)
class Result:
    case: Case
    status: int
    queries: int
    rows: int
    median_ms: float
    entries_ms: float
    plan: str
    slowest_ms: float
    slowest_sql: str


def main() -> int:
    args = _arguments()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print(
            "bench/audit_log.py: set DATABASE_URL to a PostgreSQL database it may fill, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench\n"
            "(it writes --rows audit entries there; BENCH_AUDIT_ROWS=2000000 for a smaller log).",
            file=sys.stderr,
        )
        return 2
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    users = _users()
    _fill(args.rows, clerk_id=users["clerk"].pk)
    clients = _clients(users)
    results = [_measure(case, clients[case.who], args.runs) for case in _cases(users["clerk"].pk)]
    _report(results)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("BENCH_AUDIT_ROWS", 20_000_000))
    parser.add_argument("--rows", type=int, default=default, help="audit entries to have (fills if fewer)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page, after one warm-up")
    return parser.parse_args()


def _users() -> dict:
    from django.contrib.auth.models import User

    from enrollment import roles
    from enrollment.models import Province

    groups = roles.roles_ensure()
    users = {}
    for key, username, group in [
        ("auditor", "bench_auditor", roles.AUDITOR),
        ("province", "bench_audit_province", roles.PROVINCE_MANAGER),
        ("clerk", "bench_audit_clerk", roles.KANOON_STAFF),
    ]:
        user, _ = User.objects.update_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": False, "is_active": True}
        )
        user.groups.set([groups[group]])
        users[key] = user
    province, _ = Province.objects.get_or_create(code="B07", defaults={"name": "استان سنجش"})
    roles.province_assign(user=users["province"], province=province)
    users["province_id"] = province.pk
    return users


def _fill(total: int, *, clerk_id: int) -> None:
    """Entries up to `total`, in statements of BATCH rows, with the table's indexes built once at the end."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditentry")
        have = cursor.fetchone()[0]
        if have >= total:
            print(f"audit entries: {have:,} already")
            return
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_auditentry' "
            "AND indexname <> 'audit_auditentry_pkey'"
        )
        indexes = cursor.fetchall()
        started = time.monotonic()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for first in range(have, total, BATCH):
            last = min(first + BATCH, total) - 1
            cursor.execute(FILL_SQL, {"first": first, "last": last, "clerk": clerk_id, "clerks": CLERKS})
            print(f"audit entries: {last + 1:,} ({time.monotonic() - started:.0f} s)", flush=True)
        for name, definition in indexes:
            cursor.execute(definition)
            print(f"index {name} built ({time.monotonic() - started:.0f} s)", flush=True)
        cursor.execute("ANALYZE audit_auditentry")
        print(f"filled in {time.monotonic() - started:.0f} s")


# Entry i is i × 3 seconds old. Every CLERKS-th entry is the real clerk's; a third are Kanoon approvals.
FILL_SQL = """
INSERT INTO audit_auditentry (
    at, actor_id, actor_kind, actor_name, actor_role, actor_office, object_kind, object_id, object_label,
    action, changes, reason, province_id, kanoon_id, branch_id, national_code, tracking_code, history_id
)
SELECT
    now() - make_interval(secs => i * 3),
    CASE WHEN i %% %(clerks)s = 0 THEN %(clerk)s ELSE 1000000 + i %% %(clerks)s END,
    'staff',
    'کارمند ' || (i %% %(clerks)s),
    'کارکنان کانون',
    'کانون شهرستان ' || (i %% 430),
    'enrollment.enrollmentrequest',
    (i / 5)::text,
    'درخواست ' || (100000000000 + i / 5) || '، مستمری‌بگیر ' || (i / 5),
    (ARRAY['kanoon_approve', 'request_submit', 'branch_accept', 'kanoon_reject', 'changed', 'payroll_flag'])[
        1 + (i / 7) %% 6
    ],
    '[{"field": "وضعیت", "old": "در حال بررسی کانون بازنشستگان و مستمری‌بگیران",
       "new": "در حال بررسی - نیاز به رسیدگی شعبه"}]'::jsonb,
    'تایید کانون: از «در حال بررسی کانون بازنشستگان و مستمری‌بگیران»',
    1 + i %% 31,
    1 + i %% 430,
    1 + i %% 600,
    lpad(((i / 5) %% 4500000)::text, 10, '0'),
    (100000000000 + i / 5)::text,
    NULL
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
"""


def _cases(clerk_id: int) -> list[Case]:
    from django.db import connection

    from audit.log import Position
    from core import jalali

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT at FROM audit_auditentry WHERE actor_id = %s AND action = 'kanoon_approve' "
            "ORDER BY at DESC, id DESC OFFSET 200 LIMIT 1",
            [clerk_id],
        )
        row = cursor.fetchone()
        day = jalali.format_date(row[0]) if row else jalali.format_date(dt.datetime.now(dt.UTC))
        cursor.execute("SELECT at, id FROM audit_auditentry ORDER BY at ASC, id ASC LIMIT 1 OFFSET 1000")
        deep = cursor.fetchone()
        cursor.execute("SELECT national_code, tracking_code FROM audit_auditentry ORDER BY id LIMIT 1 OFFSET 777777")
        national_code, tracking_code = cursor.fetchone() or ("0000000000", "100000000000")
    older = Position(*deep).token() if deep else ""
    return [
        Case("first page", "auditor", ""),
        Case("one clerk's approvals of one day", "auditor",
             f"actor=bench_audit_clerk&action=kanoon_approve&since={day}&until={day}"),
        Case("deep page (near the oldest)", "auditor", f"older={older}"),
        Case("search: national code", "auditor", f"code={national_code}"),
        Case("search: tracking code", "auditor", f"code={tracking_code}"),
        Case("kind of change", "auditor", "action=branch_accept"),
        Case("province manager's first page", "province", ""),
        Case("province manager, deep", "province", f"older={older}"),
    ]  # fmt: skip


def _clients(users: dict) -> dict[str, "Client"]:
    from django.conf import settings
    from django.test import Client

    settings.STAFF_OTP_REQUIRED = False  # what is measured is the log, not the second factor's pages
    clients = {}
    for who in ("auditor", "province"):
        clients[who] = Client()
        clients[who].force_login(users[who])
    return clients


def _measure(case: Case, client: "Client", runs: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{LOG}?{case.query}" if case.query else LOG
    client.get(url)  # warm-up: templates, caches, the database's pages
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
    entries_sql = [q for q in captured.captured_queries if '"audit_auditentry"' in q["sql"] and "ORDER BY" in q["sql"]]
    plan, entries_ms = _plan(entries_sql[-1]["sql"]) if entries_sql else ("-", 0.0)
    rows = response.content.decode().count('<td class="text-nowrap">')  # one per entry shown
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default={"time": "0", "sql": ""})
    return Result(case, response.status_code, len(captured.captured_queries), rows, statistics.median(timings),
                  entries_ms, plan, float(slowest["time"]) * 1000, slowest["sql"])  # fmt: skip


def _plan(sql: str) -> tuple[str, float]:
    """The indexes the entries' query walks, and its execution time, from EXPLAIN ANALYZE."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    used = sorted(
        set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan(?: Backward)? (?:using|on) (\w+)", "\n".join(lines)))
    )
    scans = [line.strip().split("  ")[0] for line in lines if "Seq Scan" in line]
    took = next((float(m.group(1)) for line in lines if (m := re.search(r"Execution Time: ([\d.]+) ms", line))), 0.0)
    return ", ".join(used + scans) or lines[0], took


def _report(results: list[Result]) -> None:
    print()
    print(
        f"{'case':<34} {'who':<9} {'status':>6} {'queries':>7} {'rows':>4} {'page ms':>8} {'entries ms':>10} "
        f"{'slowest q ms':>12}  plan of the entries' query"
    )
    for r in results:
        print(
            f"{r.case.name:<34} {r.case.who:<9} {r.status:>6} {r.queries:>7} {r.rows:>4} {r.median_ms:>8.1f} "
            f"{r.entries_ms:>10.2f} {r.slowest_ms:>12.1f}  {r.plan}"
        )
    slow = [r for r in results if r.median_ms > SLOW_MS or r.status != 200 or "Seq Scan" in r.plan]
    for r in slow:
        print(f"!! {r.case.name}: {r.status}, {r.median_ms:.0f} ms, {r.plan}; slowest query {r.slowest_ms:.0f} ms:")
        print(f"   {r.slowest_sql[:600]}")


if __name__ == "__main__":
    sys.exit(main())
