"""How the request cartable behaves over millions of requests: status, queries, counts, plans, time.

    DATABASE_URL=postgres://user@host:port/db python bench/cartable.py [--sizes N,M] [--pensioners P] [--runs R]

Per size, smallest first: seeds the database named by DATABASE_URL up to that many synthetic requests
(default 200,000 and 2,000,000: a tenth of BENCH_REQUESTS and BENCH_REQUESTS, when it is set) and the
synthetic pensioners the largest needs (P, default the larger of BENCH_PENSIONERS or 1,000,000 and
enough for the largest size), ANALYZEs, then requests the cartable's pages with the Django test
client (DEBUG off) as four users: the staff of one synthetic Kanoon and of one synthetic branch, a
manager and a superuser (it creates bench_kanoon, bench_branch, bench_manager and bench_superuser).

Per page it prints the queries of the second request (the user's caches warm; the default page also
shows the first request's, caches cold), any COUNT without a LIMIT and any SELECT DISTINCT over the
requests, how PostgreSQL reads the requests for the slowest query on them, and the median time of
--runs requests. Pages over the targets (SLOW_MS, MAX_QUERIES) get their queries and the slowest one's
EXPLAIN (ANALYZE, BUFFERS).
"""

import argparse
import datetime as dt
import json
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from _django import django_setup
from _summary import headline

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client

CARTABLE = "/admin/enrollment/enrollmentrequest/"
SLOW_MS = 300
MAX_QUERIES = 6
# About 3% of synthetic pensioners may not apply (colleagues, inactive files).
PENSIONERS_PER_REQUEST = 1.035
REQUESTS_TABLE = '"enrollment_enrollmentrequest"'
COUNT = re.compile(r"\bCOUNT\(", re.IGNORECASE)
DISTINCT = re.compile(r"\bSELECT DISTINCT\b", re.IGNORECASE)
SELECT_LIST = re.compile(r"^SELECT (DISTINCT )?.*? FROM ", re.DOTALL)


@dataclass(frozen=True)
class Case:
    who: str
    label: str
    url: str
    cold: bool = False  # empty the user's cached scope first and report the first request's queries


@dataclass(frozen=True)
class Result:
    case: Case
    status: int
    queries: int
    cold_queries: int | None
    counts: str
    distinct: bool
    plan: str
    median_ms: float
    captured: list[dict]

    @property
    def slowest(self) -> dict:
        return max(self.captured, key=lambda q: float(q["time"]), default={"time": "0", "sql": ""})

    @property
    def missed(self) -> bool:
        return (
            self.status != 200
            or self.median_ms > SLOW_MS
            or self.queries > MAX_QUERIES
            or self.counts not in ("-", "capped")
            or self.distinct
        )


def main() -> int:
    args = _arguments()
    if not os.environ.get("DATABASE_URL"):
        print(
            "bench/cartable.py: set DATABASE_URL to the database to seed and measure, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench\n"
            "It adds up to --requests synthetic requests there (and their pensioners): never the demo's db.sqlite3.",
            file=sys.stderr,
        )
        return 2
    django_setup()
    from django.test import override_settings

    # Signed in with the second factor taken as passed (DEBUG off requires it): its check is one query,
    # not this benchmark's subject; without this every page answers 302 to the code page.
    with override_settings(STAFF_OTP_REQUIRED=False):
        for size in args.sizes:
            _measure_size(size, args)
    return 0


def _measure_size(size: int, args: argparse.Namespace) -> None:
    """Seeds up to `size` requests, measures every page, prints the table and the headlines."""
    from enrollment.models import EnrollmentRequest

    _database_prepare(args.pensioners, size)
    size = EnrollmentRequest.objects.count()  # more than asked when the database already held more
    users = _users()
    cases = _cases(users)
    print(f"\n{size:,} requests\n{HEADER}")
    results = []
    for case in cases:
        results.append(_measure(case, users[case.who], args.runs))
        print(_line(results[-1]), flush=True)
    _report(results)
    slowest = max(results, key=lambda r: r.median_ms)
    headline(
        f"cartable pages at {size:,} requests, slowest median",
        f"{slowest.median_ms:.0f} ms",
        "< 2000 ms",
        slowest.median_ms < 2000 and all(r.status == 200 for r in results),
    )
    most = max(r.queries for r in results)
    headline(f"cartable pages at {size:,} requests, most queries", f"{most}", f"≤ {MAX_QUERIES + 1}", None)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    requests = int(os.environ.get("BENCH_REQUESTS", 2_000_000))
    parser.add_argument(
        "--sizes",
        default=f"{requests // 10},{requests}",
        help="synthetic requests to measure at, comma-separated (seeds up to each in turn)",
    )
    parser.add_argument("--pensioners", type=int, default=None, help="synthetic pensioners to have (seeds if fewer)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page, after one warm-up")
    args = parser.parse_args()
    args.sizes = sorted(int(size) for size in args.sizes.split(",") if size.strip())
    if args.pensioners is None:
        at_least = int(os.environ.get("BENCH_PENSIONERS", 1_000_000))
        args.pensioners = max(at_least, math.ceil(args.sizes[-1] * PENSIONERS_PER_REQUEST))
    return args


def _database_prepare(pensioners: int, requests: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from enrollment.models import EnrollmentRequest
    from fixtures.demo import demo_world_ensure
    from fixtures.synthetic import synthetic_pensioners_ensure, synthetic_requests_ensure

    call_command("migrate", verbosity=0, interactive=False)
    demo_world_ensure()  # the active contract period the requests belong to
    synthetic_pensioners_ensure(total=pensioners, out=sys.stdout)
    synthetic_requests_ensure(total=requests, out=sys.stdout)
    if connection.vendor == "postgresql":
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"ANALYZE: {time.monotonic() - started:.1f} s")
    total = EnrollmentRequest.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {total:,} requests")


@dataclass(frozen=True)
class BenchUser:
    user: "User"
    client: "Client"


def _users() -> dict[str, BenchUser]:
    """A logged-in test client per kind of user, with the office of the Kanoon and branch staff."""
    from django.contrib.auth.models import User
    from django.test import Client

    from enrollment import roles

    groups = roles.roles_ensure()
    kanoon, branch = _offices()
    users = {}
    for who, role, superuser in [
        ("kanoon", roles.KANOON_STAFF, False),
        ("branch", roles.BRANCH_STAFF, False),
        ("manager", roles.MANAGER, False),
        ("superuser", None, True),
    ]:
        user, _ = User.objects.update_or_create(
            username=f"bench_{who}", defaults={"is_staff": True, "is_superuser": superuser, "is_active": True}
        )
        user.groups.set([groups[role]] if role else [])
        users[who] = BenchUser(user, Client())
        users[who].client.force_login(user)
    roles.kanoon_assign(user=users["kanoon"].user, kanoon=kanoon)
    roles.branch_assign(user=users["branch"].user, branch=branch)
    return users


def _offices():
    from enrollment.models import Branch, Kanoon

    return Kanoon.objects.select_related("county").get(county__code="S0701"), Branch.objects.get(code="90701")


def _cases(users: dict[str, BenchUser]) -> list[Case]:
    from core import jalali
    from enrollment.models import EnrollmentRequest, RequestStatus

    kanoon, branch = _offices()
    requests = EnrollmentRequest.objects.select_related("pensioner").order_by("waiting_since", "id")
    in_kanoon_queue = requests.filter(kanoon=kanoon, status=RequestStatus.KANOON_REVIEW)
    in_branch_queue = requests.filter(branch=branch, status=RequestStatus.BRANCH_REVIEW)
    kanoon_waiting, branch_waiting = in_kanoon_queue.count(), in_branch_queue.count()
    print(f"Kanoon {kanoon.county.code}: {kanoon_waiting:,} requests in its queue")
    print(f"branch {branch.code}: {branch_waiting:,} requests in its queue")
    today = jalali.today()
    submitted = {
        "submitted_from": jalali.format_date(today - dt.timedelta(days=6), persian=False),
        "submitted_to": jalali.format_date(today - dt.timedelta(days=4), persian=False),
    }
    kanoon_queue = {"status__exact": RequestStatus.KANOON_REVIEW}
    plans = [
        # who, their default page, a request they see, and whether they have the branch and county filters
        ("kanoon", kanoon_queue, in_kanoon_queue[kanoon_waiting // 2], False),
        ("branch", {"status__exact": RequestStatus.BRANCH_REVIEW}, in_branch_queue[branch_waiting // 2], True),
        ("manager", {}, in_kanoon_queue[kanoon_waiting // 3], True),  # managers have no queue: all statuses
        ("superuser", kanoon_queue, in_kanoon_queue[kanoon_waiting // 4], True),  # may act as a Kanoon
    ]
    cases = []
    for who, default, sample, offices in plans:
        submitted_column = _column(users[who].user, "submitted")
        filters = [
            ("page 2", {"p": 2}),
            ("oldest submitted", {"o": submitted_column}),
            ("newest submitted", {"o": -submitted_column}),
            ("operation=enroll", {"operation": "enroll"}),
            ("persons=3", {"persons": 3}),
            ("submitted 3 days", submitted),
        ]
        if offices:
            filters += [("branch", {"branch": branch.pk}), ("county", {"county": kanoon.county_id})]
        searches = [
            ("search tracking code", sample.tracking_code),
            ("search national code", sample.pensioner.national_code),
            ("search last name prefix", sample.pensioner.last_name[:3]),
        ]
        cases.append(Case(who, "default", _url(default), cold=True))
        cases += [Case(who, label, _url({**default, **params})) for label, params in filters]
        cases += [Case(who, label, _url({"q": term})) for label, term in searches]
        cases += [
            Case(who, "request page", f"{CARTABLE}{sample.pk}/change/"),
            Case(who, "history page", f"{CARTABLE}{sample.pk}/history/"),
            Case(who, "admin index", "/admin/"),
        ]
    return cases


def _column(user: "User", name: str) -> int:
    """The changelist's number for a column (its `o` parameter): the action checkbox comes first when
    the user is offered actions."""
    from django.contrib import admin
    from django.test import RequestFactory

    from enrollment.models import EnrollmentRequest

    model_admin = admin.site._registry[EnrollmentRequest]
    request = RequestFactory().get(CARTABLE)
    request.user = user
    columns = list(model_admin.get_list_display(request))
    if model_admin.get_actions(request):
        columns.insert(0, "action_checkbox")
    return columns.index(name)


def _url(params: dict) -> str:
    return f"{CARTABLE}?{urlencode(params)}" if params else CARTABLE


def _measure(case: Case, bench_user: BenchUser, runs: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enrollment.selectors import scope_forget

    client = bench_user.client
    if case.cold:
        scope_forget(bench_user.user.pk)
    with CaptureQueriesContext(connection) as first:
        client.get(case.url)
    timings, captured = [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as run:
            started = time.perf_counter()
            response = client.get(case.url)
            timings.append((time.perf_counter() - started) * 1000)
        if captured is None:
            captured = run.captured_queries  # the second request: caches warm
    requests_queries = [q for q in captured if REQUESTS_TABLE in q["sql"]]
    return Result(
        case=case,
        status=response.status_code,
        queries=len(captured),
        cold_queries=len(first.captured_queries) if case.cold else None,
        counts=_counts(requests_queries),
        distinct=any(DISTINCT.search(q["sql"]) for q in requests_queries),
        plan=_plan(max(requests_queries, key=lambda q: float(q["time"]))["sql"]) if requests_queries else "-",
        median_ms=statistics.median(timings),
        captured=captured,
    )


def _counts(queries: list[dict]) -> str:
    """How the requests are counted: 'capped' (a LIMITed subquery, CappedCountPaginator), 'grouped'
    (GROUP BY without a LIMIT), 'filtered' (a WHERE, no LIMIT), 'table' (no WHERE), or '-'. A count of
    another table that merely mentions the requests in its WHERE (a history page's) is not one."""
    kinds = set()
    for query in queries:
        sql = query["sql"].upper()
        select, source = _split_outer_from(sql)
        if not COUNT.search(select):
            continue
        if source.startswith("(SELECT "):
            source = _split_outer_from(source[1:])[1]
        if not source.startswith(REQUESTS_TABLE.upper()):
            continue
        if " LIMIT " in sql:
            kinds.add("capped")
        elif " GROUP BY " in sql:
            kinds.add("grouped")
        else:
            kinds.add("filtered" if " WHERE " in sql else "table")
    return ",".join(sorted(kinds)) or "-"


def _split_outer_from(sql: str) -> tuple[str, str]:
    """The select list and what follows its FROM, at the statement's own level of parentheses."""
    depth = 0
    for i, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(" FROM ", i):
            return sql[:i], sql[i + len(" FROM ") :].lstrip()
    return sql, ""


def _plan(sql: str) -> str:
    """How PostgreSQL reads the requests table for this query: each scan on it, and any sort."""
    from django.db import connection

    if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
        return "-"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    steps = []
    for node in _nodes(plan[0]["Plan"]):
        if node.get("Relation Name") == "enrollment_enrollmentrequest":
            steps.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
        elif node["Node Type"] in ("Sort", "Incremental Sort", "HashAggregate", "Unique"):
            steps.append(node["Node Type"])
    return "; ".join(steps) or "-"


def _nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _explain_analyze(sql: str) -> str:
    from django.db import connection

    if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
        return "   (not a SELECT: not explained)"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(f"   {row[0]}" for row in cursor.fetchall())


HEADER = f"{'who':<9} {'page':<24} {'status':>6} {'q':>3} {'cold q':>6} {'COUNT':>8} {'DIST':>4} {'median ms':>9}  plan"


def _line(r: Result) -> str:
    cold = "-" if r.cold_queries is None else str(r.cold_queries)
    return (
        f"{r.case.who:<9} {r.case.label:<24} {r.status:>6} {r.queries:>3} {cold:>6} {r.counts:>8} "
        f"{'yes' if r.distinct else '-':>4} {r.median_ms:>9.1f}  {r.plan}"
    )


def _report(results: list[Result]) -> None:
    missed = [r for r in results if r.missed]
    print(
        f"\ntargets: at most {MAX_QUERIES} queries and {SLOW_MS} ms a page, no COUNT without a LIMIT, "
        f"no SELECT DISTINCT over the requests: {len(missed)} of {len(results)} pages miss one"
    )
    for r in missed:
        slowest = r.slowest
        print(f"\n!! {r.case.who} {r.case.label}: {r.case.url}")
        print(f"   status {r.status}, {r.queries} queries, median {r.median_ms:.0f} ms, COUNT {r.counts}")
        for query in r.captured:
            print(f"   {float(query['time']) * 1000:7.1f} ms  {_short(query['sql'])[:200]}")
        print(f"   slowest ({float(slowest['time']) * 1000:.0f} ms): {_short(slowest['sql'])[:2000]}")
        print(_explain_analyze(slowest["sql"]))


def _short(sql: str) -> str:
    """The query without its list of columns, which says nothing about its cost."""
    return SELECT_LIST.sub(r"SELECT \1… FROM ", sql, count=1)


if __name__ == "__main__":
    sys.exit(main())
