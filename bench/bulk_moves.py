"""A cartable action on a thousand requests: one by one (the single-request services) against in sets
(workflow.moves_apply), seconds and queries side by side.

    DATABASE_URL=postgres://user@host:port/db python bench/bulk_moves.py [--count N] [--requests R] [--pensioners P]

Seeds the database named by DATABASE_URL as bench/cartable.py does (synthetic pensioners and requests,
BENCH_PENSIONERS and BENCH_REQUESTS), then per move takes 2 × N requests waiting for it (default 1,000
each): the first N moved one by one, the next N as a set, by a Kanoon or branch user assigned to
their offices (bench_moves_kanoon, bench_moves_branch). The requests stay moved: each run takes the
next ones waiting. Queries are every statement sent (transactions' BEGIN/COMMIT are not statements
here); the SMS after-commit hand-over to the broker (the database's, unless Redis is configured) is
part of both columns.

Then a selection larger than a web request carries (--job-count, default 10,000 per move) as the cartable
hands it on: a background job (enrollment.bulk_jobs), here run by this process as the long cluster's
worker would, slice after slice; the request's part (start s), the job's time to finish and queries,
and its report's counts.
"""

import argparse
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from _django import django_setup
from _summary import headline

PENSIONERS_PER_REQUEST = 1.035
BROKER_TABLE = '"django_q_ormq"'
# The targets of a set of a thousand requests on PostgreSQL, in seconds.
TARGETS = {"kanoon_approve": 3.0, "kanoon_reject": 3.0, "branch_accept": 8.0}


@dataclass(frozen=True)
class Run:
    seconds: float
    queries: int
    broker: int  # of the queries, the SMS send tasks handed to the database broker (none with Redis)
    done: int


def main() -> int:
    args = _arguments()
    if not os.environ.get("DATABASE_URL"):
        print(
            "bench/bulk_moves.py: set DATABASE_URL to the database to seed and measure, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench\n"
            "It adds synthetic pensioners and requests there and moves some: never the demo's db.sqlite3.",
            file=sys.stderr,
        )
        return 2
    django_setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # a line per enqueued SMS task otherwise
    _database_prepare(args.pensioners, args.requests)
    print(f"\n{HEADER}")
    missed = []
    for move_name in TARGETS:
        line, on_target = _compare(move_name, args.count)
        print(line, flush=True)
        if not on_target:
            missed.append(move_name)
    print(f"\n{ADMIN_HEADER}")
    for move_name in ADMIN_MOVES:
        line, on_target = _through_the_cartable(move_name, args.count)
        print(line, flush=True)
        if not on_target:
            missed.append(f"{move_name} (cartable)")
    print(f"\n{JOB_HEADER}")
    for move_name in JOB_MOVES:
        line, finished = _as_a_job(move_name, args.job_count)
        print(line, flush=True)
        if not finished:
            missed.append(f"{move_name} (job)")
    targets = ", ".join(f"{name} ≤ {seconds:.0f} s" for name, seconds in TARGETS.items())
    print(f"\ntargets for a set of {args.count:,}: {targets}: {len(missed)} of {len(TARGETS)} missed {missed or ''}")
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="requests per side (one by one, in sets)")
    parser.add_argument("--job-count", type=int, default=10_000, help="requests per background job")
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", 1_000_000)))
    parser.add_argument("--pensioners", type=int, default=None)
    args = parser.parse_args()
    if args.pensioners is None:
        at_least = int(os.environ.get("BENCH_PENSIONERS", 1_000_000))
        args.pensioners = max(at_least, math.ceil(args.requests * PENSIONERS_PER_REQUEST))
    return args


def _database_prepare(pensioners: int, requests: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from fixtures.demo import demo_world_ensure
    from fixtures.synthetic import synthetic_pensioners_ensure, synthetic_requests_ensure

    call_command("migrate", verbosity=0, interactive=False)
    demo_world_ensure()
    synthetic_pensioners_ensure(total=pensioners, out=sys.stdout)
    synthetic_requests_ensure(total=requests, out=sys.stdout)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")


def _compare(move_name: str, count: int) -> tuple[str, bool]:
    from enrollment import workflow

    ids = _waiting(move_name, 2 * count)
    if len(ids) < 2 * count:
        return f"{move_name:<16} only {len(ids):,} requests wait for it: seed more (--requests)", False
    user = _user_for(move_name, ids)
    options = {"reason_code": "duplicate", "note": "درخواست تکراری"} if move_name.endswith("reject") else {}
    service = _single_service(move_name)

    def one_by_one() -> int:
        done = 0
        for pk in ids[:count]:
            try:
                service(request_id=pk, by=user, **options)
                done += 1
            except workflow.MoveRefused:
                pass
        return done

    def in_sets() -> int:
        return len(workflow.moves_apply(move_name, ids[count:], user=user, **options).done)

    single, as_set = _measure(one_by_one), _measure(in_sets)
    faster = single.seconds / as_set.seconds if as_set.seconds else math.inf
    on_target = as_set.seconds <= TARGETS[move_name] and as_set.done == count
    headline(f"{move_name} {count:,} one by one", f"{single.seconds:.1f} s, {single.queries:,} q", "", None)
    headline(
        f"{move_name} {count:,} as a set",
        f"{as_set.seconds:.2f} s, {as_set.queries:,} q",
        f"≤ {TARGETS[move_name]:.0f} s",
        on_target,
    )
    line = (
        f"{move_name:<16} {count:>6,} {single.seconds:>9.2f} {single.queries:>8,} {single.broker:>7,} {single.done:>6,}"
        f" {as_set.seconds:>8.2f} {as_set.queries:>8,} {as_set.broker:>7,} {as_set.done:>6,} {faster:>7.1f}x"
    )
    return line, on_target


ADMIN_MOVES = ["kanoon_approve", "branch_accept"]
ADMIN_HEADER = f"{'cartable action':<16} {'count':>6} {'POST s':>9} {'queries':>8} {'status':>7} {'done':>6}"
CARTABLE = "/admin/enrollment/enrollmentrequest/"


def _through_the_cartable(move_name: str, count: int) -> tuple[str, bool]:
    """The action as a clerk posts it: the ticked ids of a «نمایش همه» page, through the admin (signed in
    with the second factor taken as passed: its check is one query, not this benchmark's subject)."""
    from django.test import Client, override_settings

    from enrollment import workflow
    from enrollment.models import EnrollmentRequest

    ids = _waiting(move_name, count)
    if len(ids) < count:
        return f"{move_name:<16} only {len(ids):,} requests wait for it: seed more (--requests)", False
    client = Client()
    client.force_login(_user_for(move_name, ids))
    url = f"{CARTABLE}?status__exact={workflow.MOVES[move_name].sources[0]}"
    client.get(url)  # the clerk's office ids cached, as after any page of the cartable
    posted: dict[str, int] = {}

    def post() -> int:
        posted["status"] = client.post(url, {"action": move_name, "_selected_action": ids}).status_code
        return EnrollmentRequest.objects.filter(pk__in=ids, status=workflow.MOVES[move_name].target).count()

    with override_settings(STAFF_OTP_REQUIRED=False):
        run = _measure(post)
    line = f"{move_name:<16} {count:>6,} {run.seconds:>9.2f} {run.queries:>8,} {posted['status']:>7} {run.done:>6,}"
    return line, posted["status"] == 302 and run.done == count and run.seconds <= TARGETS[move_name]


JOB_MOVES = ["kanoon_approve", "branch_accept"]
JOB_HEADER = (
    f"{'background job':<16} {'count':>6} {'start s':>8} {'finish s':>9} {'queries':>8} {'req/s':>7}"
    f" {'moved':>6} {'refused':>7} {'held':>5} {'status':>7}"
)


def _as_a_job(move_name: str, count: int) -> tuple[str, bool]:
    """A job of `count` waiting requests (their ids, as ticks past the inline limit are kept), started as
    the cartable starts it, then run to its end by this process as the long cluster's worker runs it:
    slice after slice (each slice hands the next to the broker too; a worker would find it finished)."""
    from django.db import transaction

    from core.jobs import JobStatus
    from enrollment import bulk_jobs
    from enrollment.models import BulkMoveJob

    ids = _waiting(move_name, count)
    if len(ids) < count:
        return f"{move_name:<16} only {len(ids):,} requests wait for it: seed more (--requests)", False
    user = _user_for(move_name, ids)
    job_ids: list[int] = []

    def start() -> int:
        with transaction.atomic():  # the web request's part: the job row, handed to the broker at commit
            job_ids.append(bulk_jobs.bulk_move_start(user=user, move_name=move_name, ids=ids).pk)
        return 0

    def work() -> int:
        while bulk_jobs.bulk_move_job_run(job_id=job_ids[0]) == JobStatus.QUEUED:
            pass
        return BulkMoveJob.objects.get(pk=job_ids[0]).moved

    started, run = _measure(start), _measure(work)
    job = BulkMoveJob.objects.get(pk=job_ids[0])
    line = (
        f"{move_name:<16} {count:>6,} {started.seconds:>8.2f} {run.seconds:>9.2f} {run.queries:>8,}"
        f" {count / run.seconds:>7,.0f} {job.moved:>6,} {job.refused:>7,} {job.held:>5,} {job.status:>7}"
    )
    return line, job.status == JobStatus.DONE and run.done == count


HEADER = (
    f"{'move':<16} {'count':>6} {'1-by-1 s':>9} {'queries':>8} {'broker':>7} {'done':>6}"
    f" {'sets s':>8} {'queries':>8} {'broker':>7} {'done':>6} {'faster':>8}"
)


def _measure(action: Callable[[], int]) -> Run:
    from django.db import connection

    queries = broker = 0

    def count(execute, sql, params, many, context):
        nonlocal queries, broker
        queries += 1
        broker += BROKER_TABLE in sql
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        done = action()
        seconds = time.perf_counter() - started
    return Run(seconds, queries, broker, done)


def _single_service(move_name: str) -> Callable:
    from enrollment import workflow

    return getattr(workflow, f"request_{move_name}")


def _waiting(move_name: str, count: int) -> list[int]:
    """Requests the move may be made on now, from as few offices as possible (a clerk's own queue)."""
    from django.db.models import F

    from enrollment import workflow
    from enrollment.models import EnrollmentRequest

    move = workflow.MOVES[move_name]
    requests = EnrollmentRequest.objects.filter(status__in=move.sources)
    if move.actor == workflow.BRANCH:
        requests = requests.filter(pensioner__paying_branch_id=F("branch_id"))  # acceptance's guard
        office = "branch_id"
    else:
        office = "kanoon_id"
    return list(requests.order_by(office, "pk").values_list("pk", flat=True)[:count])


def _user_for(move_name: str, ids: list[int]):
    """A Kanoon or branch clerk assigned to the offices of these requests."""
    from django.contrib.auth.models import User

    from enrollment import roles, workflow
    from enrollment.models import Branch, EnrollmentRequest, Kanoon

    groups = roles.roles_ensure()
    kanoon_move = workflow.MOVES[move_name].actor == workflow.KANOON
    who = "kanoon" if kanoon_move else "branch"
    user, _ = User.objects.update_or_create(
        username=f"bench_moves_{who}", defaults={"is_staff": True, "is_superuser": False, "is_active": True}
    )
    user.groups.set([groups[roles.KANOON_STAFF if kanoon_move else roles.BRANCH_STAFF]])
    requests = EnrollmentRequest.objects.filter(pk__in=ids)
    if kanoon_move:
        for kanoon in Kanoon.objects.filter(pk__in=requests.values("kanoon_id")):
            roles.kanoon_assign(user=user, kanoon=kanoon)
    else:
        for branch in Branch.objects.filter(pk__in=requests.values("branch_id")):
            roles.branch_assign(user=user, branch=branch)
    return User.objects.get(pk=user.pk)  # fresh: no permission cache from before the assignments


if __name__ == "__main__":
    sys.exit(main())
