"""The managers' dashboard on the admin home: the active period's requests in numbers and charts.

Everything is read through the user's scope (selectors.requests_visible_to): national managers and auditors
see the country, a province manager their provinces and no national figure (the reconciliation's counts too
are counted and kept per scope). Three scans compute every figure, so the number of queries does not
grow with the data: one of the period's requests grouped by status, Kanoon and branch (the statuses,
offices and queues are summed from its groups; the per-request person counts `enroll_count` and
`withdraw_count` spare a scan of the items), one of their submission days, and one of the items of the
accepted requests for who was covered before them. On PostgreSQL, extended statistics (migration
enrollment/0011) tell the planner how few groups and days there are. The result is cached per period
and scope for DASHBOARD_SECONDS: thousands of managers opening the home page share one computation a
minute. The reconciliation's counts (heavier: they read the deduction documents) are cached per period
and scope for RECONCILIATION_SECONDS.

When figures grow stale, one request (holding a short cache lock) computes them again while the
others keep showing the stale ones, so an expiry never sends every open home page to the database at
once. Only a cold cache makes each request compute.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django_q.tasks import async_task

from core import jalali
from core.db_router import reading_replica
from core.text import to_persian_digits
from enrollment import selectors
from enrollment.models import Branch, County, Kanoon, RequestItem, RequestStatus
from enrollment.reports.charts import Chart, Datum, horizontal_bars, vertical_bars
from enrollment.reports.reconciliation import FindingKind, reconciliation_counts
from policies.models import ContractPeriod
from policies.selectors import period_active

DASHBOARD_SECONDS = 60
RECONCILIATION_SECONDS = 600
KEEP_STALE = 10  # stale figures are kept this many times their freshness, to show while one request refreshes
REFRESH_LOCK_SECONDS = 300
RECONCILIATION_TASK = "enrollment.reports.tasks.reconciliation_refresh_task"
TOP = 10
ALL = "all"

S = RequestStatus
# The order of the status chart: the flow of DESIGN.md, drafts left out (they are the pensioner's).
STATUS_ORDER = [
    S.KANOON_REVIEW,
    S.BRANCH_REVIEW,
    S.ACCEPTED,
    S.KANOON_REJECTED,
    S.BRANCH_REJECTED,
    S.CANCELLED,
]
STATUS_COLORS = {
    S.KANOON_REVIEW: "open",
    S.BRANCH_REVIEW: "open",
    S.ACCEPTED: "accepted",
    S.KANOON_REJECTED: "rejected",
    S.BRANCH_REJECTED: "rejected",
    S.CANCELLED: "muted",
}


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class OfficeRow:
    """A county's or branch's requests: in all, waiting for that office, accepted."""

    pk: int | None  # None for the row that sums the rest
    name: str
    total: int
    waiting: int
    accepted: int


@dataclass(frozen=True)
class Backlog:
    pk: int
    name: str
    waiting: int
    oldest: dt.datetime

    @property
    def days(self) -> int:
        return (timezone.now() - self.oldest).days


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    count: int


@dataclass(frozen=True)
class Persons:
    """Persons (not requests): the operations asked for in every live request, and in the accepted ones."""

    enroll_asked: int
    withdraw_asked: int
    enroll_accepted: int
    withdraw_accepted: int
    covered_before: int  # over the accepted requests: persons insured before them ...
    covered_after: int  # ... and after them


@dataclass(frozen=True)
class Dashboard:
    period_id: int
    period_title: str
    window_opens_at: dt.datetime
    window_closes_at: dt.datetime
    statuses: list[StatusCount]
    counties: list[OfficeRow]
    branches: list[OfficeRow]
    days: list[DayCount]
    kanoon_backlog: list[Backlog]
    branch_backlog: list[Backlog]
    persons: Persons
    computed_at: dt.datetime = field(default_factory=timezone.now)

    def count_of(self, status: str) -> int:
        return next((s.count for s in self.statuses if s.status == status), 0)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.statuses)


@dataclass(frozen=True)
class ReconciliationSummary:
    period_id: int
    counts: dict[str, int]
    scope: str = ALL  # whose figures: every office, or one scope's (selectors.Scope.key)
    computed_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def lines(self) -> list[tuple[str, int]]:
        return [(FindingKind(kind).label, count) for kind, count in self.counts.items() if count]


def dashboard_for(user: AbstractBaseUser) -> Dashboard | None:
    """The active period's dashboard in the user's scope, from the cache when a minute old at most."""
    period = period_active()
    if period is None:
        return None
    key = f"reports-dashboard:{period.pk}:{scope_key(user)}"
    return _cached(key, lambda: dashboard_compute(user, period), DASHBOARD_SECONDS)


def reconciliation_summary(period_id: int, user: AbstractBaseUser) -> ReconciliationSummary | None:
    """How many reconciliation findings of each kind in the user's scope, as last computed, never computed in
    the request: its checks count over every accepted request and document (seconds each at national scale).
    When the figures are missing or older than RECONCILIATION_SECONDS a worker computes them again (one
    refresh at a time per scope); meanwhile the stale figures, with their age, or None until the first are
    ready. A province manager's figures are their provinces' own, never the national ones."""
    scope = scope_key(user)
    key = reconciliation_key(period_id, scope)
    figures = cache.get(key)
    fresh = figures is not None and timezone.now() - figures.computed_at < dt.timedelta(seconds=RECONCILIATION_SECONDS)
    if not fresh and cache.add(f"{key}:queued", True, REFRESH_LOCK_SECONDS):
        # The task computes with the user's scope as it is when it runs, and stores it under that scope.
        async_task(
            RECONCILIATION_TASK,
            *([period_id] if scope == ALL else [period_id, user.pk]),
            task_name=f"reconciliation-{period_id}-{scope}",
            cluster=settings.LONG_TASKS_CLUSTER,
        )
        figures = cache.get(key)  # a worker in the same process (tests, the demo without qcluster) is done already
    return figures


def reconciliation_refresh(period_id: int, user_id: int | None = None) -> ReconciliationSummary:
    """The worker's side of reconciliation_summary: counts (nationally, or in the scope of the user who asked),
    caches, and lets the next refresh be queued."""
    period = ContractPeriod.objects.get(pk=period_id)
    user = None if user_id is None else get_user_model().objects.get(pk=user_id)
    scope = ALL if user is None else scope_key(user)
    figures = ReconciliationSummary(period_id, reconciliation_counts(period, user=user), scope)
    key = reconciliation_key(period_id, scope)
    cache_figures(key, figures, RECONCILIATION_SECONDS)
    cache.delete(f"{key}:queued")
    return figures


Figures = TypeVar("Figures", Dashboard, ReconciliationSummary)


def reconciliation_key(period_id: int, scope: str) -> str:
    return f"reports-reconciliation:{period_id}:{scope}"


def cache_figures(key: str, figures: Dashboard | ReconciliationSummary, seconds: int) -> None:
    cache.set(key, figures, seconds * KEEP_STALE)


def _cached(key: str, compute: Callable[[], Figures], seconds: int) -> Figures:
    """The cached figures while younger than `seconds`; else computed again by the one request that takes
    the refresh lock, the stale figures meanwhile for everyone else."""
    figures = cache.get(key)
    if figures is None:
        return _computed(key, compute, seconds)
    if timezone.now() - figures.computed_at < dt.timedelta(seconds=seconds):
        return figures
    lock = f"{key}:refreshing"
    if not cache.add(lock, True, REFRESH_LOCK_SECONDS):
        return figures
    try:
        return _computed(key, compute, seconds)
    finally:
        cache.delete(lock)


def _computed(key: str, compute: Callable[[], Figures], seconds: int) -> Figures:
    figures = compute()
    cache_figures(key, figures, seconds)
    return figures


def scope_title(user: AbstractBaseUser) -> str:
    """What the figures cover, in words: «کل کشور», or a province manager's provinces."""
    if selectors.user_sees_all(user):
        return "کل کشور"
    names = list(selectors.provinces_of(user).order_by("name").values_list("name", flat=True))
    if len(names) == 1:
        return f"استان {names[0]}"
    return "استان‌های " + "، ".join(names) if names else "دفاتر شما"


def scope_key(user: AbstractBaseUser) -> str:
    """Whose figures: ALL for those who see every office, else the user's scope (shared by everyone with it)."""
    return ALL if selectors.user_sees_all(user) else selectors.scope_of(user).key


def dashboard_compute(user: AbstractBaseUser, period: ContractPeriod) -> Dashboard:
    """The figures are read on the read replica when there is one (seconds old at most); the user's scope is
    read before, on the primary."""
    requests = selectors.requests_visible_to(user).filter(period=period)
    with reading_replica():
        return _dashboard(requests, period)


def _dashboard(requests: QuerySet, period: ContractPeriod) -> Dashboard:
    groups = _groups(requests)
    by_status: dict[str, dict] = {}
    for group in groups:
        row = by_status.setdefault(group.status, {"count": 0, "enroll": 0, "withdraw": 0})
        row["count"] += group.count
        row["enroll"] += group.enroll
        row["withdraw"] += group.withdraw
    counties, branches = _office_names(groups)
    return Dashboard(
        period_id=period.pk,
        period_title=period.title,
        window_opens_at=period.window_opens_at,
        window_closes_at=period.window_closes_at,
        statuses=[StatusCount(s, s.label, by_status.get(s, {}).get("count", 0)) for s in STATUS_ORDER],
        counties=_offices(groups, "county_id", counties, S.KANOON_REVIEW, "شهرستان‌های دیگر"),
        branches=_offices(groups, "branch_id", branches, S.BRANCH_REVIEW, "شعب دیگر"),
        days=_days(requests, period),
        kanoon_backlog=_backlog(groups, "county_id", counties, S.KANOON_REVIEW),
        branch_backlog=_backlog(groups, "branch_id", branches, S.BRANCH_REVIEW),
        persons=_persons(requests, by_status),
    )


class _Group(NamedTuple):
    """The period's requests of one status, Kanoon and branch: what every figure but the days and the
    persons is summed from (a tuple: tens of thousands are made per computation)."""

    status: str
    county_id: int
    branch_id: int
    count: int
    enroll: int
    withdraw: int
    oldest: dt.datetime | None  # the longest wait among them, for the groups waiting in a queue


def _groups(requests: QuerySet) -> list[_Group]:
    """One grouped scan of the requests for the statuses, offices and queues together (at 2,000,000
    requests a few tens of thousands of groups), rather than one scan a figure."""
    rows = (
        requests.values("status", "kanoon_id", "branch_id")
        .annotate(count=Count("pk"), enroll=Sum("enroll_count"), withdraw=Sum("withdraw_count"))
        # Only the queues' groups need their longest wait: the others' would be read and parsed for nothing.
        .annotate(oldest=Min("waiting_since", filter=Q(status__in=(S.KANOON_REVIEW, S.BRANCH_REVIEW))))
        .order_by()
        .values_list("status", "kanoon_id", "branch_id", "count", "enroll", "withdraw", "oldest")
    )
    rows = list(rows)
    county_of = dict(Kanoon.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "county_id"))
    return [
        _Group(status, county_of[kanoon_id], branch_id, count, enroll or 0, withdraw or 0, oldest)
        for status, kanoon_id, branch_id, count, enroll, withdraw, oldest in rows
    ]


def _office_names(groups: list[_Group]) -> tuple[dict[int, str], dict[int, str]]:
    counties = dict(County.objects.filter(pk__in={g.county_id for g in groups}).values_list("pk", "name"))
    branches = dict(Branch.objects.filter(pk__in={g.branch_id for g in groups}).values_list("pk", "name"))
    return counties, branches


def _offices(groups: list[_Group], office: str, names: dict[int, str], waiting: str, rest: str) -> list[OfficeRow]:
    """The TOP offices by requests, then one row summing all the others."""
    sums: dict[int, list[int]] = {}
    for group in groups:
        total_waiting_accepted = sums.setdefault(getattr(group, office), [0, 0, 0])
        total_waiting_accepted[0] += group.count
        total_waiting_accepted[1] += group.count if group.status == waiting else 0
        total_waiting_accepted[2] += group.count if group.status == S.ACCEPTED else 0
    rows = sorted(
        (OfficeRow(pk, names[pk], *figures) for pk, figures in sums.items()), key=lambda row: (-row.total, row.name)
    )
    top, others = rows[:TOP], rows[TOP:]
    if others:
        top.append(
            OfficeRow(
                None,
                f"{rest} ({to_persian_digits(len(others))})",
                sum(row.total for row in others),
                sum(row.waiting for row in others),
                sum(row.accepted for row in others),
            )
        )
    return top


def _days(requests: QuerySet, period: ContractPeriod) -> list[DayCount]:
    """Submissions per (Tehran) day, every day of the window so far, quiet days at zero."""
    found = {
        row["day"]: row["count"]
        for row in requests.filter(submitted_at__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
    }
    first = timezone.localtime(period.window_opens_at).date()
    last = min(jalali.today(), timezone.localtime(period.window_closes_at).date())
    if found:
        first, last = min(first, *found), max(last, *found)
    return [DayCount(day, found.get(day, 0)) for day in _date_range(first, last)]


def _date_range(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _backlog(groups: list[_Group], office: str, names: dict[int, str], status: str) -> list[Backlog]:
    """The TOP offices whose oldest waiting request has waited longest."""
    waiting: dict[int, list] = {}
    for group in groups:
        if group.status != status:
            continue
        count_oldest = waiting.setdefault(getattr(group, office), [0, None])
        count_oldest[0] += group.count
        if group.oldest is not None and (count_oldest[1] is None or group.oldest < count_oldest[1]):
            count_oldest[1] = group.oldest
    rows = [Backlog(pk, names[pk], count, oldest) for pk, (count, oldest) in waiting.items()]
    # A queue with no waiting time recorded sorts last, as PostgreSQL puts NULL after every date.
    rows.sort(key=lambda row: (row.oldest is None, row.oldest or dt.datetime.max.replace(tzinfo=dt.UTC), row.name))
    return rows[:TOP]


def _persons(requests: QuerySet, by_status: dict[str, dict]) -> Persons:
    """Who was covered before the accepted requests and who is after. Only «before» is counted over the
    items: an item's «after» differs from its «before» exactly by its operation (an enrollment only for
    someone not covered, a withdrawal only for someone covered: drafts.operation_allowed), so «after» is
    «before» plus the accepted enrollments less the accepted withdrawals, which the requests already sum.
    Counting only the covered items is half the scan of counting both."""
    live = [row for status, row in by_status.items() if status != S.CANCELLED]
    accepted = by_status.get(S.ACCEPTED, {})
    enroll_accepted, withdraw_accepted = accepted.get("enroll") or 0, accepted.get("withdraw") or 0
    covered_before = RequestItem.objects.filter(
        status_before=True, request__in=requests.filter(status=S.ACCEPTED).values("pk")
    ).count()
    return Persons(
        enroll_asked=sum(row["enroll"] or 0 for row in live),
        withdraw_asked=sum(row["withdraw"] or 0 for row in live),
        enroll_accepted=enroll_accepted,
        withdraw_accepted=withdraw_accepted,
        covered_before=covered_before,
        covered_after=covered_before + enroll_accepted - withdraw_accepted,
    )


def dashboard_charts(dashboard: Dashboard) -> dict[str, Chart]:
    """The charts of the page, drawn from the (cached) figures at render time."""
    return {
        "days": vertical_bars(
            key="chart-days",
            title="درخواست‌های ثبت‌شده در هر روز مهلت",
            description=(
                f"تعداد درخواست‌های ثبت‌شده در هر روز، از {jalali.format_date(dashboard.window_opens_at)}؛ "
                "نخستین روز در سمت راست."
            ),
            data=[Datum(_day_label(day.day), day.count) for day in dashboard.days],
            label_heading="روز",
        ),
        "statuses": horizontal_bars(
            key="chart-statuses",
            title="درخواست‌ها به تفکیک وضعیت",
            description="تعداد درخواست‌های دوره در هر وضعیت.",
            data=[Datum(s.label, s.count, STATUS_COLORS[s.status]) for s in dashboard.statuses],
            label_heading="وضعیت",
        ),
        "persons": horizontal_bars(
            key="chart-persons",
            title="افراد: ثبت‌نام و انصراف",
            description="تعداد افراد (نه درخواست‌ها) در درخواست‌های جاری و در درخواست‌های پذیرفته‌شده.",
            data=[
                Datum("ثبت‌نام (درخواست‌شده)", dashboard.persons.enroll_asked, "open"),
                Datum("انصراف (درخواست‌شده)", dashboard.persons.withdraw_asked, "open"),
                Datum("ثبت‌نام (پذیرفته‌شده)", dashboard.persons.enroll_accepted, "accepted"),
                Datum("انصراف (پذیرفته‌شده)", dashboard.persons.withdraw_accepted, "rejected"),
                Datum("تحت پوشش پیش از پذیرش", dashboard.persons.covered_before, "muted"),
                Datum("تحت پوشش پس از پذیرش", dashboard.persons.covered_after, "primary"),
            ],
            label_heading="افراد",
        ),
        "counties": horizontal_bars(
            key="chart-counties",
            title=f"درخواست‌ها در {to_persian_digits(TOP)} شهرستان پرتقاضا",
            description="تعداد درخواست‌های هر یک از پرتقاضاترین شهرستان‌ها؛ جدول زیر نمودار جمع بقیه را هم دارد.",
            data=[Datum(row.name, row.total) for row in dashboard.counties if row.pk is not None],
            label_heading="شهرستان",
        ),
        "branches": horizontal_bars(
            key="chart-branches",
            title=f"درخواست‌ها در {to_persian_digits(TOP)} شعبه پرتقاضا",
            description="تعداد درخواست‌های هر یک از پرتقاضاترین شعب؛ جدول زیر نمودار جمع بقیه را هم دارد.",
            data=[Datum(row.name, row.total) for row in dashboard.branches if row.pk is not None],
            label_heading="شعبه",
        ),
    }


def _day_label(day: dt.date) -> str:
    """۴ آذر"""
    j = jalali.to_jalali(day)
    return to_persian_digits(f"{j.day} {j.j_months_fa[j.month - 1]}")
