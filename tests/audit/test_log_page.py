"""The auditors' page: scope, filters, keyset pages, constant queries, the export; and each object's history page."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.log import Position, page_of
from audit.models import Action, AuditEntry
from audit.record import entry_record
from core import jalali
from enrollment import drafts, workflow
from enrollment.models import Operation, Pensioner
from enrollment.reports.models import ExportJob, ExportKind
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

pytestmark = pytest.mark.django_db

LOG = "/admin/audit/auditentry/"
ENGLISH = re.compile(
    r"\b(None|Deleted|True|False|January|February|March|April|May|June|July|August|September|"
    r"October|November|December|kanoon_review|branch_review)\b"
)


def _persian(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


@pytest.fixture
def two_provinces(pensioner_a, pensioner_b, kanoon_tehran, kanoon_karaj):
    """A request of Tehran and one of Karaj (Alborz), each approved by its Kanoon."""
    withdraw = {person.key: Operation.WITHDRAW for person in drafts.people_listed(pensioner_b) if person.insured}
    tehran, karaj = file_request(pensioner_a), file_request(pensioner_b, withdraw)
    workflow.request_kanoon_approve(request_id=tehran.pk, by=kanoon_tehran)
    workflow.request_kanoon_approve(request_id=karaj.pk, by=kanoon_karaj)
    return tehran, karaj


def _text(response) -> str:
    return re.sub(r"<[^>]+>", " ", response.content.decode())


def test_the_auditor_reads_every_change_in_words(client, auditor, two_provinces):
    tehran, karaj = two_provinces
    client.force_login(auditor)
    response = client.get(LOG)
    assert response.status_code == 200
    page = _text(response)
    for request in (tehran, karaj):
        assert f"درخواست {_persian(request.tracking_code)}" in page
    assert "تایید کانون" in page and "کارکنان کانون" in page
    assert User.objects.get(username="kanoon_tehran").get_full_name() in page
    assert "مستمری‌بگیر" in page  # the pensioner's own submission
    assert jalali.format_date(timezone.now()) in page
    assert not ENGLISH.search(page)
    assert f'href="/admin/enrollment/enrollmentrequest/{tehran.pk}/change/"' in response.content.decode()


def test_a_province_manager_reads_only_their_province(client, two_provinces):
    tehran, karaj = two_provinces
    client.force_login(User.objects.get(username="manager_alborz"))
    page = _text(client.get(LOG))
    assert _persian(karaj.tracking_code) in page
    assert _persian(tehran.tracking_code) not in page
    assert client.get(f"{LOG}?code={tehran.tracking_code}").status_code == 200
    assert _persian(tehran.tracking_code) not in _text(client.get(f"{LOG}?code={tehran.tracking_code}"))


def test_kanoon_and_branch_staff_are_not_offered_the_log(client, kanoon_tehran, branch_tehran, two_provinces):
    for user in (kanoon_tehran, branch_tehran):
        client.force_login(user)
        assert client.get(LOG).status_code == 403
        assert client.post(f"{LOG}export/", {"export": "1", "export_format": "csv"}).status_code == 403


def test_an_objects_history_page_is_in_words_and_out_of_scope_is_missing(client, two_provinces):
    tehran, karaj = two_provinces
    client.force_login(User.objects.get(username="manager_alborz"))
    url = "/admin/enrollment/enrollmentrequest/{}/history/"
    response = client.get(url.format(karaj.pk))
    assert response.status_code == 200
    page = _text(response)
    assert "تایید کانون" in page and "در حال بررسی - نیاز به رسیدگی شعبه" in page
    assert User.objects.get(username="kanoon_karaj").get_full_name() in page
    assert "ثبت نهایی درخواست" in page and "مستمری‌بگیر" in page
    assert not ENGLISH.search(page)
    version = karaj.history.latest().history_id
    assert f"/admin/enrollment/enrollmentrequest/{karaj.pk}/history/{version}/" in response.content.decode()
    assert client.get(url.format(tehran.pk)).status_code == 404
    assert client.get(url.format(10**9)).status_code == 404


def _neighbour(pensioner_a) -> Pensioner:
    return PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch)


def test_the_filters_choose_one_clerks_approvals_of_one_day(client, auditor, pensioner_a, kanoon_tehran):
    requests = [file_request(pensioner_a)]
    workflow.request_kanoon_approve(request_id=requests[0].pk, by=kanoon_tehran)
    second = file_request(_neighbour(pensioner_a))
    workflow.request_kanoon_reject(request_id=second.pk, by=kanoon_tehran, reason_code="duplicate")
    today_entry = AuditEntry.objects.filter(tracking_code=requests[0].tracking_code, action=Action.KANOON_APPROVE).get()
    old = file_request(_neighbour(pensioner_a))
    workflow.request_kanoon_approve(request_id=old.pk, by=kanoon_tehran)
    AuditEntry.objects.filter(tracking_code=old.tracking_code).update(at=today_entry.at - dt.timedelta(days=1))

    client.force_login(auditor)
    today = jalali.format_date(timezone.now())
    response = client.get(LOG, {"actor": "kanoon_tehran", "action": "kanoon_approve", "since": today, "until": today})
    page = _text(response)
    assert _persian(requests[0].tracking_code) in page
    assert _persian(second.tracking_code) not in page and _persian(old.tracking_code) not in page
    assert response.context["rows"] and len(response.context["rows"]) == 1


def test_bad_filters_are_told_in_persian_and_show_nothing(client, auditor, two_provinces):
    client.force_login(auditor)
    response = client.get(LOG, {"since": "1405/13/40", "actor": "nobody", "code": "12"})
    assert response.status_code == 200 and response.context["rows"] == []
    page = _text(response)
    assert "کارمندی با این نام کاربری یافت نشد." in page and "کد ملی ده‌رقمی" in page


def test_a_national_code_typed_in_persian_digits_finds_the_pensioners_entries(client, auditor, two_provinces):
    tehran, _ = two_provinces
    client.force_login(auditor)
    rows = client.get(LOG, {"code": "۰۰۱۰۰۰۰۰۲۱"}).context["rows"]
    expected = AuditEntry.objects.filter(national_code="0010000021")
    assert len(rows) == expected.count() > 0
    assert all("رضا کریمی" in row.label or "کریمی" in row.label for row in rows)
    rows = client.get(LOG, {"code": _persian(tehran.tracking_code)}).context["rows"]
    assert {row.action for row in rows} >= {"ثبت نهایی درخواست", "تایید کانون"}
    assert all(_persian(tehran.tracking_code) in row.label for row in rows)


def _entries_at_one_moment(count: int) -> list[AuditEntry]:
    for i in range(count):
        entry_record(
            actor=None, object_kind="portal.announcement", object_id=i, object_label=f"اطلاعیه {i}", action="changed"
        )
    entries = AuditEntry.objects.filter(object_kind="portal.announcement")
    entries.update(at=timezone.now().replace(microsecond=0))
    return list(entries)


def test_pages_lose_and_repeat_nothing_among_equal_timestamps(db):
    entries = _entries_at_one_moment(11)
    everything = AuditEntry.objects.filter(object_kind="portal.announcement")
    seen, page = [], page_of(everything, size=3)
    pages = [page]
    while True:
        seen += [entry.pk for entry in page.entries]
        if page.older is None:
            break
        page = page_of(everything, before=page.older, size=3)
        pages.append(page)
    assert sorted(seen) == sorted(entry.pk for entry in entries) and len(seen) == len(set(seen))
    assert seen == sorted(seen, reverse=True)  # newest first: equal times by id
    back = page_of(everything, after=pages[-1].newer, size=3)
    assert [e.pk for e in back.entries] == [e.pk for e in pages[-2].entries]
    token = Position.parse(pages[1].older.token())
    assert token == pages[1].older


def test_the_page_costs_the_same_queries_for_five_entries_or_fifty(client, auditor, world):
    client.force_login(auditor)
    client.get(LOG)  # the user's scope cached, as after any page

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LOG, {"actor": "auditor"}).status_code == 200
        return len(captured.captured_queries)

    for i in range(5):
        entry_record(
            actor=auditor, object_kind="portal.announcement", object_id=i, object_label="اطلاعیه", action=Action.CHANGED
        )
    five = queries()
    for i in range(60):
        entry_record(
            actor=auditor, object_kind="portal.announcement", object_id=i, object_label="اطلاعیه", action=Action.CHANGED
        )
    assert queries() == five


def test_the_export_is_scoped_filtered_and_recorded(client, two_provinces):
    tehran, karaj = two_provinces
    alborz = User.objects.get(username="manager_alborz")
    client.force_login(alborz)
    response = client.post(f"{LOG}export/", {"export": "1", "export_format": "csv", "action": "kanoon_approve"})
    assert response.status_code == 200
    content = response.content.decode("utf-8-sig")
    assert karaj.tracking_code in content and tehran.tracking_code not in content
    assert "تایید کانون" in content and "ثبت نهایی درخواست" not in content
    job = ExportJob.objects.get(user=alborz)
    assert job.kind == ExportKind.AUDIT_LOG and job.query == "action=kanoon_approve" and job.rows_written == 1
