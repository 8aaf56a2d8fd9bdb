"""Every admin page, as every demo role, reads in Persian: Jalali dates, Persian digits, no English.

The pages come from the URL tree itself (tests/enrollment/test_admin_every_url.py's `admin_urls`): each
ModelAdmin's changelist, add, change, history, delete and its own views, the site's views and the report
pages beside it, so a page added later is read without editing this file. Ids are those of real objects
the role sees; the world is the demo's plus a request in every status, jobs, an export, an announcement.

What a person reads is the page's text (no scripts or styles) and the attributes read aloud or shown as
text (aria-label, title, alt, placeholder, a button's value). Codes, mobiles and amounts are numbers a
person reads too: every digit shown is Persian.
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from enrollment import workflow
from enrollment.deductions.models import MonthlyListJob, RolloverJob
from enrollment.drafts import draft_open, draft_terms_accept
from enrollment.models import Branch, EnrollmentRequest, Operation, Pensioner, RejectionReason, RequestStatus
from enrollment.reports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from policies.models import ContractPeriod, Relation
from policies.selectors import terms_current
from portal.models import Announcement
from tests.enrollment.conftest import file_request
from tests.enrollment.test_admin_every_url import _PARAM, AdminUrl, admin_urls
from tests.factories import DependentFactory, PensionerFactory

ROLES = [
    "kanoon_tehran",
    "kanoon_karaj",
    "branch_tehran",
    "branch_karaj",
    "manager",
    "manager_alborz",
    "auditor",
    "pr_staff",
]

GREGORIAN_MONTHS = re.compile(
    r"(?<![\w\u200c])("
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
    r"ژانویه|ژانویهٔ|فوریه|مارس|آوریل|مه|ژوئن|ژوئیه|جولای|اوت|آگوست|سپتامبر|اکتبر|نوامبر|دسامبر"
    r")(?![\w\u200c])",
    re.IGNORECASE,
)
ISO_STAMPS = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"  # 2026-12-01
    r"|\d{1,2}:\d{2}:\d{2}"  # 12:30:45
    r"|[+\-]\d{2}:\d{2}(?!\d)"  # +00:00
    r"|\bUTC\b|\bGMT\b|\d(?:T|Z)\b"
)
LATIN_DIGIT = re.compile(r"[0-9]")
ENGLISH_WORDS = re.compile(
    r"(?<![A-Za-z])("
    r"None|True|False|Home|Search|Filter|By|All|Add|Change|Delete|History|Save|Yes|No|Go|Log ?out|Log ?in|"
    r"Show all|Toggle|navigation|Previous|Next|View|Edit|Close|Cancel|Submit|Select|Clear|Actions?|Dashboard|"
    r"Account|Profile|Welcome|Today|Now|Choose|Remove|Unknown|Back|Menu|Results?|Total|Password|Username|"
    r"Object|Date|Time|User|Comment|Version|Admin|Django|Jazzmin|Copyright|Skip|Run|Loading|Page|of|Logo|Historical|"
    r"Enrollment|Policies|Loans|Reports|Core|Auth"
    r")(?![A-Za-z])",
    re.IGNORECASE,
)
READ_ALOUD = ("aria-label", "title", "alt", "placeholder")
# Not read as page text: scripts, a textarea's value (like an input's, it is what the form will send) and
# code to be typed elsewhere as it is (a second factor's key, recovery codes).
FORM_VALUES_AND_CODE = ("script", "style", "template", "textarea", "code", "kbd", "samp")


class VisibleText(HTMLParser):
    """The text a person sees or hears of a page: text nodes outside scripts, styles and form values, and
    the attributes shown or read aloud."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in FORM_VALUES_AND_CODE:
            self._hidden += 1
        values = dict(attrs)
        self.parts += [values[name] for name in READ_ALOUD if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button", "reset") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in FORM_VALUES_AND_CODE:
            self._hidden = max(self._hidden - 1, 0)

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.parts


def problems_in(html: str, *, usernames: tuple[str, ...] = ()) -> list[str]:
    """What on a page is not for a Persian reader, each with the text it was found in."""
    found = []
    for text in visible_text(html):
        checks = [
            ("Gregorian month", GREGORIAN_MONTHS.search(text)),
            ("ISO date/time", ISO_STAMPS.search(text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))),
            ("Latin digit", LATIN_DIGIT.search(text)),
            ("English word", ENGLISH_WORDS.search(text)),
            ("code name", re.search(r"[a-z]+__[a-z]+|[a-z]+_[a-z]+=", text)),
            # A colleague is named by full name; an account's username may follow it in brackets, as the
            # account's identifier (the audit log's entries about staff accounts).
            *(("username", re.search(rf"(?<![\w(]){re.escape(name)}(?![\w)])", text)) for name in usernames),
        ]
        found += [f"{kind} {match.group(0)!r} in {text[:120]!r}" for kind, match in checks if match]
    return found


def test_the_reader_catches_what_it_must_and_passes_persian():
    html = """<html><head><title>صفحه</title><style>.a{content:"None"}</style><script>var x = "2026-01-01";</script>
    </head><body><p>۱۴۰۵/۰۱/۱۵ ۱۴:۳۰ — ۱٬۲۵۰٬۰۰۰ ریال</p><a href="/x/2026-01-01/" class="Home">همه</a></body></html>"""
    assert problems_in(html) == []
    assert problems_in("<td>مریم رحیمی (kanoon_tehran)</td>", usernames=("kanoon_tehran",)) == []
    for bad in [
        "<p>۱۲ آوریل ۱۹۵۸</p>",
        "<p>April 12, 1958</p>",
        "<p>۲۰۲۶-۱۲-۰۱</p>",
        "<p>۱۲:۳۰:۴۵</p>",
        "<p>ساعت +00:00</p>",
        "<p>1,250,000</p>",
        "<span class='sr-only'>Toggle navigation</span>",
        '<img src="x.svg" alt="True">',
        '<input type="submit" value="Go">',
        '<a aria-label="Home" href="/">خانه</a>',
        "<td>None</td>",
        "<p>در حال رسیدگی توسط kanoon_tehran</p>",
    ]:
        assert problems_in(bad, usernames=("kanoon_tehran",)), bad


# -- the world: the demo, and a request in every status --------------------------------------------------


def _tehran_pensioner(n: int) -> Pensioner:
    model_pensioner = Pensioner.objects.get(national_code="0010000011")
    pensioner = PensionerFactory(
        county=model_pensioner.county,
        paying_branch=model_pensioner.paying_branch,
        birth_date=dt.date(1950 + n, 4, 12),
        last_name=f"نمونه{'ابپتثجچ'[n]}",
    )
    DependentFactory(pensioner=pensioner, relation=Relation.SPOUSE, gender="female", birth_date=dt.date(1960, 5, 5))
    DependentFactory(pensioner=pensioner, relation=Relation.CHILD, gender="male", birth_date=dt.date(2010, 1, 9))
    DependentFactory(pensioner=pensioner, relation=Relation.CHILD, gender="female", birth_date=dt.date(2005, 8, 1))
    return pensioner


@pytest.fixture
def every_status(world) -> dict[str, EnrollmentRequest]:
    kanoon_tehran, branch_tehran, kanoon_karaj, manager = (
        User.objects.get(username=name) for name in ("kanoon_tehran", "branch_tehran", "kanoon_karaj", "manager")
    )
    by_status = {}
    a = Pensioner.objects.get(national_code="0010000011")
    by_status[RequestStatus.KANOON_REVIEW] = file_request(a)
    workflow.request_claim(request_id=by_status[RequestStatus.KANOON_REVIEW].pk, by=kanoon_tehran)
    b = Pensioner.objects.get(national_code="0010000021")
    withdrawal = file_request(
        b, {str(d.pk): Operation.WITHDRAW for d in b.dependents.all()} | {"self": Operation.WITHDRAW}
    )
    workflow.request_kanoon_approve(request_id=withdrawal.pk, by=kanoon_karaj)

    others = [_tehran_pensioner(n) for n in range(6)]
    rejected = file_request(others[0])
    workflow.request_kanoon_reject(
        request_id=rejected.pk, by=kanoon_tehran, reason_code=RejectionReason.values[0], note="مدارک ناقص است"
    )
    by_status[RequestStatus.KANOON_REJECTED] = rejected
    review = file_request(others[1])
    workflow.request_kanoon_approve(request_id=review.pk, by=kanoon_tehran, note="بررسی شد")
    workflow.request_claim(request_id=review.pk, by=branch_tehran)
    by_status[RequestStatus.BRANCH_REVIEW] = review
    moved = file_request(others[2])
    workflow.request_kanoon_approve(request_id=moved.pk, by=kanoon_tehran)
    others[2].paying_branch = Branch.objects.get(code="3001")
    others[2].save()
    branch_rejected = file_request(others[3])
    workflow.request_kanoon_approve(request_id=branch_rejected.pk, by=kanoon_tehran)
    workflow.request_branch_reject(
        request_id=branch_rejected.pk, by=branch_tehran, reason_code=RejectionReason.values[-1], note="نادرست"
    )
    by_status[RequestStatus.BRANCH_REJECTED] = branch_rejected
    accepted = file_request(others[4])
    workflow.request_kanoon_approve(request_id=accepted.pk, by=kanoon_tehran)
    by_status[RequestStatus.ACCEPTED] = workflow.request_branch_accept(request_id=accepted.pk, by=branch_tehran)
    cancelled = file_request(others[5])
    by_status[RequestStatus.CANCELLED] = workflow.request_cancel(request_id=cancelled.pk, pensioner=others[5])
    draft = draft_open(pensioner=_tehran_pensioner(6))
    draft_terms_accept(draft=draft, terms=terms_current(period=draft.period))
    by_status[RequestStatus.DRAFT] = draft

    period = ContractPeriod.objects.get(is_active=True)
    next_period = ContractPeriod.objects.create(
        title="دوره آزمون بعدی",
        insurer=period.insurer,
        coverage_start=period.coverage_end + dt.timedelta(days=1),
        coverage_end=period.coverage_end + dt.timedelta(days=365),
        window_opens_at=period.window_closes_at + dt.timedelta(days=300),
        window_closes_at=period.window_closes_at + dt.timedelta(days=330),
    )
    RolloverJob.objects.create(
        old_period=period, new_period=next_period, user=manager, status="failed", attempts=2, error="خطای آزمون"
    )
    for user in (manager, branch_tehran):
        MonthlyListJob.objects.create(
            user=user, branch=accepted.branch, month=period.coverage_start, file_format="csv", status="done",
            rows_written=1500, total_estimate=1500,
        )  # fmt: skip
    for user in User.objects.filter(username__in=ROLES):
        job = ExportJob.objects.create(
            user=user, kind=ExportKind.REQUEST_ITEMS, file_format=ExportFormat.CSV, status=ExportStatus.DONE,
            rows_written=1250, query="status__exact=accepted", finished_at=timezone.now(),
        )  # fmt: skip
        job.file.save(f"export-{user.pk}.csv", ContentFile(b"x"), save=True)
    Announcement.objects.create(title="آغاز ثبت‌نام", body="متن اطلاعیه", is_published=True)
    return by_status


# -- the pages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    path: str
    route: str


def _object_of(url: AdminUrl, user: User) -> models.Model | None:
    model_admin = admin.site._registry.get(url.model)
    if model_admin is None:
        return None
    request = RequestFactory().get("/admin/")
    request.user = user
    queryset = model_admin.get_queryset(request)
    # The richest object: the latest (a request in review, the job with a file, the period with history).
    return queryset.order_by("-pk").first()


def pages_for(user: User) -> Iterator[Page]:
    for url in admin_urls():
        names = [m.group(1) or m.group(2) for m in _PARAM.finditer(url.route)]
        if url.route.endswith(("logout/", "signout/")) or {"url", "move", "app_label"} & set(names):
            continue  # nothing to read: a POST or the catch-all redirect
        values = {}
        if names:
            obj = _object_of(url, user)
            if obj is None and {"object_id", "version_id", "id"} & set(names):
                continue
            history = getattr(obj, "history", None)
            first = history.order_by("-history_id").first() if history is not None else None
            values = {
                "object_id": str(obj.pk) if obj else "",
                "id": str(obj.pk) if obj else "",
                "version_id": str(first.history_id) if first else "0",
                "job_id": str(
                    (ExportJob if "exportjob" in url.route else MonthlyListJob).objects.order_by("pk").first().pk
                ),
                "content_type_id": str(ContentType.objects.get_for_model(url.model or User).pk),
            }
            if "version_id" in names and first is None:
                continue
        path = "/" + _PARAM.sub(lambda m, values=values: values[m.group(1) or m.group(2)], url.route)
        yield Page(path, url.route)
        model = url.model
        if url.name.endswith("_changelist") and model is not None:
            status = next((f for f in model._meta.fields if f.name == "status" and f.choices), None)
            for value, _label in status.choices if status else []:
                yield Page(f"{path}?status__exact={value}", url.route)
            yield Page(f"{path}?q=۰۰۱", url.route)


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_reads_in_persian_for_every_role(client, every_status, role):
    user = User.objects.get(username=role)
    usernames = tuple(User.objects.filter(is_staff=True).values_list("username", flat=True))
    findings: dict[str, list[str]] = {}
    read = 0
    for page in pages_for(user):
        client.force_login(user)
        response = client.get(page.path, follow=True)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        read += 1
        # The staff pages are where an account's username is administered: there it is the account's own
        # identifier, shown as such; everywhere else a colleague is named by full name.
        staff_pages = page.path.startswith(reverse("admin:auth_user_changelist"))
        problems = problems_in(response.content.decode(), usernames=() if staff_pages else usernames)
        if problems:
            findings[page.path] = sorted(set(problems))
    report = "\n".join(f"{path}\n  " + "\n  ".join(lines) for path, lines in findings.items())
    assert not findings, f"{role}:\n{report}"
    assert read > 10
