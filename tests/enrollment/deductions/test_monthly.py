"""The monthly deduction list of a branch: documents made by real acceptances, month boundaries, scope,
and the CSV / XLSX files payroll reads."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core import jalali
from core.jalali import JalaliParseError
from enrollment import workflow
from enrollment.deductions import jobs as deduction_jobs
from enrollment.deductions import monthly
from enrollment.deductions.models import DeductionDocument, DeductionStatus, MonthlyListJob
from enrollment.models import Operation
from tests.enrollment.conftest import file_request

URL = reverse("reports_dashboard:monthly_deductions")
ACCEPTED_ON = dt.date(2026, 11, 25)  # 4 Azar 1405: deductions start in Dey
AZAR, DEY, BAHMAN = dt.date(2026, 11, 22), dt.date(2026, 12, 22), dt.date(2027, 1, 21)


def _accept(request, kanoon, branch, today=ACCEPTED_ON):
    workflow.request_kanoon_approve(request_id=request.pk, by=kanoon)
    return workflow.request_branch_accept(request_id=request.pk, by=branch, today=today)


@pytest.fixture
def enrolled_a(submitted_a, kanoon_tehran, branch_tehran):
    """Pensioner A, spouse and child enrolled by a real acceptance in Azar 1405."""
    return _accept(submitted_a, kanoon_tehran, branch_tehran)


@pytest.fixture
def withdrawn_b(pensioner_b, kanoon_karaj, branch_karaj):
    """Pensioner B and spouse withdrew; accepted on 15 Dey 1405, so Dey is their last month deducted."""
    spouse = pensioner_b.dependents.get(relation="spouse")
    request = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(spouse.pk): Operation.WITHDRAW})
    return _accept(request, kanoon_karaj, branch_karaj, today=dt.date(2027, 1, 5))


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("typed", ["1405/10", "۱۴۰۵/۱۰", "١٤٠٥-١٠", " 1405/10 "])
def test_a_month_is_typed_in_any_digits(typed):
    assert jalali.parse_month(typed) == DEY


@pytest.mark.parametrize("typed", ["1405/13", "1405", "دی ۱۴۰۵", ""])
def test_a_month_that_is_not_one_is_refused_in_persian(typed):
    with pytest.raises(JalaliParseError):
        jalali.parse_month(typed)


def test_the_totals_match_the_documents_acceptance_made(enrolled_a):
    branch_id = enrolled_a.branch_id
    documents = DeductionDocument.objects.filter(source_request=enrolled_a)
    assert documents.count() == 5
    totals = monthly.month_totals(branch_id=branch_id, month=DEY)
    by_kind = {total.kind: total for total in totals.kinds}
    for kind in ("health", "life"):
        of_kind = [d for d in documents if d.kind == kind]
        assert by_kind[kind].documents == len(of_kind)
        assert by_kind[kind].amount == sum(d.monthly_amount for d in of_kind)
    assert totals.documents == 5
    assert totals.amount == sum(d.monthly_amount for d in documents) == 24_000_000
    rows = list(monthly.month_rows(branch_id=branch_id, month=DEY))
    assert sorted(row[0] for row in rows) == sorted(d.pk for d in documents)
    assert sum(row[8] for row in rows) == totals.amount


def test_deductions_start_the_month_after_acceptance(enrolled_a):
    assert monthly.month_totals(branch_id=enrolled_a.branch_id, month=AZAR).documents == 0
    assert monthly.month_totals(branch_id=enrolled_a.branch_id, month=BAHMAN).documents == 5


def test_a_document_ending_in_dey_is_in_deys_list_not_in_bahmans(withdrawn_b):
    branch_id = withdrawn_b.branch_id
    ended = DeductionDocument.objects.filter(pensioner=withdrawn_b.pensioner)
    assert {(d.status, d.last_month) for d in ended} == {(DeductionStatus.ENDED, DEY)}
    assert monthly.month_totals(branch_id=branch_id, month=AZAR).documents == 4  # carried over from 1 Azar
    assert monthly.month_totals(branch_id=branch_id, month=DEY).documents == 4
    assert monthly.month_totals(branch_id=branch_id, month=BAHMAN).documents == 0


def test_cancelled_documents_are_never_in_a_list(enrolled_a, kanoon_tehran, branch_tehran):
    pensioner = enrolled_a.pensioner
    pensioner.refresh_from_db()
    operations = {"self": Operation.WITHDRAW}
    operations.update({str(d.pk): Operation.WITHDRAW for d in pensioner.dependents.filter(has_supplementary=True)})
    _accept(file_request(pensioner, operations), kanoon_tehran, branch_tehran)  # still Azar: nothing deducted yet
    assert set(DeductionDocument.objects.filter(pensioner=pensioner).values_list("status", flat=True)) == {
        DeductionStatus.CANCELLED
    }
    assert monthly.month_totals(branch_id=enrolled_a.branch_id, month=DEY).documents == 0


def test_another_branchs_documents_stay_out_of_the_list(enrolled_a, pensioner_b):
    karaj = pensioner_b.paying_branch_id
    assert monthly.month_totals(branch_id=karaj, month=DEY).documents == 4  # B's own, carried over
    rows = list(monthly.month_rows(branch_id=karaj, month=DEY))
    assert {row[1] for row in rows} == {pensioner_b.national_code}


def test_branch_staff_see_the_totals_of_their_branch(client, enrolled_a, branch_tehran):
    client.force_login(branch_tehran)
    response = client.get(URL, {"branch": enrolled_a.branch_id, "month": "۱۴۰۵/۱۰"})
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.documents, totals.amount) == (5, 24_000_000)
    assert "۲۴٬۰۰۰٬۰۰۰" in response.content.decode()


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_branch_karaj_cannot_get_branch_tehrans_list(client, enrolled_a, branch_karaj, export):
    client.force_login(branch_karaj)
    response = client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10", "export": export})
    assert response.status_code == 404


def test_kanoon_staff_have_no_branch_list(client, enrolled_a, kanoon_tehran):
    client.force_login(kanoon_tehran)
    assert client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10"}).status_code == 404
    page = client.get(URL)
    assert page.status_code == 200 and not page.context["has_branches"]


def test_managers_get_any_branchs_list(client, enrolled_a, pensioner_b, manager):
    client.force_login(manager)
    for branch_id, documents in [(enrolled_a.branch_id, 5), (pensioner_b.paying_branch_id, 4)]:
        response = client.get(URL, {"branch": branch_id, "month": "1405/10"})
        assert response.context["totals"].documents == documents


def test_the_csv_has_a_bom_persian_headers_and_every_document(client, enrolled_a, branch_tehran):
    client.force_login(branch_tehran)
    response = client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10", "export": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "deductions-1012-1405-10.csv" in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header == monthly.HEADERS
    assert header[:3] == ["شماره سند", "کد ملی مستمری‌بگیر", "شماره مستمری"]
    assert len(rows) == 5
    assert {row[1] for row in rows} == {"0010000011"}
    assert sum(int(row[8]) for row in rows) == 24_000_000
    main = [row for row in rows if row[6] == "مستمری‌بگیر اصلی"]
    assert {row[7] for row in main} == {"بیمه تکمیلی درمان", "بیمه عمر"}
    assert {row[9] for row in rows} == {"1405/10"} and {row[10] for row in rows} == {""}


def test_the_xlsx_has_persian_headers_the_rows_and_the_totals(client, enrolled_a, branch_tehran):
    client.force_login(branch_tehran)
    response = client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10", "export": "xlsx"})
    assert response.status_code == 200
    assert "deductions-1012-1405-10.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    listing, summary = workbook.worksheets
    header, *rows = [list(row) for row in listing.iter_rows(values_only=True)]
    assert header == monthly.HEADERS
    assert len(rows) == 5 and {row[1] for row in rows} == {"0010000011"}
    assert sum(row[8] for row in rows) == 24_000_000
    totals = {row[0]: row[1:] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert totals["بیمه تکمیلی درمان"] == (3, 21_000_000)
    assert totals["بیمه عمر"] == (2, 3_000_000)
    assert totals["جمع کل"] == (5, 24_000_000)


def test_the_list_is_read_in_one_query_whatever_its_length(enrolled_a, withdrawn_b, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(monthly.month_rows(branch_id=enrolled_a.branch_id, month=DEY))
    assert len(rows) == 5


# --- A large branch's list is a background job: queued by the page, written to the default storage ---------


@pytest.fixture
def large(settings):
    """Any list over two documents is large."""
    settings.REPORTS_MONTHLY_INLINE_MAX = 2


def _in_request_rows(client, branch_id: int, file_format: str) -> list[list]:
    response = client.get(URL, {"branch": branch_id, "month": "1405/10", "export": file_format})
    return _file_rows(b"".join(response.streaming_content), file_format)


def _file_rows(content: bytes, file_format: str) -> list[list]:
    if file_format == "csv":
        text = content.decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_job_writes_the_same_file_as_the_request_did(
    client, enrolled_a, branch_tehran, settings, django_capture_on_commit_callbacks, file_format
):
    client.force_login(branch_tehran)
    branch_id = enrolled_a.branch_id
    expected = _in_request_rows(client, branch_id, file_format)  # small: still written in the request
    settings.REPORTS_MONTHLY_INLINE_MAX = 2
    page = client.get(URL, {"branch": branch_id, "month": "1405/10"}).content.decode()
    assert 'name="build"' in page and "export=csv" not in page
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(f"{URL}?branch={branch_id}&month=1405/10", {"build": file_format}, follow=True)
    assert len(queued) == 1
    assert "در پس‌زمینه ساخته می‌شود" in response.content.decode()
    job = MonthlyListJob.objects.get()
    assert (job.status, job.user, job.rows_written, job.total_estimate) == ("done", branch_tehran, 5, 5)
    assert job.file.name.startswith("deductions/")
    download = reverse("reports_dashboard:monthly_file", args=[job.pk])
    assert download in client.get(URL, {"branch": branch_id, "month": "1405/10"}).content.decode()
    response = client.get(download)
    assert f"deductions-1012-1405-10.{file_format}" in response["Content-Disposition"]
    assert _file_rows(b"".join(response.streaming_content), file_format) == expected


def test_a_large_list_is_never_built_inside_the_request(client, enrolled_a, branch_tehran, large, monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("built in the request")

    monkeypatch.setattr(monthly, "month_rows", refuse)
    client.force_login(branch_tehran)
    for export in ("csv", "xlsx"):
        response = client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10", "export": export})
        assert response.status_code == 302 and "export" not in response.url


def test_the_page_follows_the_jobs_progress_and_offers_a_restart(client, enrolled_a, branch_tehran, large):
    job = MonthlyListJob.objects.create(
        user=branch_tehran, branch_id=enrolled_a.branch_id, month=DEY, file_format="xlsx", status="running",
        rows_written=2000, total_estimate=5000,
    )  # fmt: skip
    client.force_login(branch_tehran)
    page = client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10"}).content.decode()
    assert "۲٬۰۰۰ از ۵٬۰۰۰ ردیف" in page and 'http-equiv="refresh"' in page
    MonthlyListJob.objects.filter(pk=job.pk).update(status="failed", error="ساختن فایل ناموفق بود: دیسک پر است")
    page = client.get(URL, {"branch": enrolled_a.branch_id, "month": "1405/10"}).content.decode()
    assert "دیسک پر است" in page and "شروع دوباره" in page and 'http-equiv="refresh"' not in page
    client.post(f"{URL}?branch={enrolled_a.branch_id}&month=1405/10", {"restart": job.pk})
    job.refresh_from_db()
    assert (job.status, job.error) == ("queued", "")


def test_another_branchs_staff_get_neither_the_job_nor_its_file(
    client, enrolled_a, branch_tehran, branch_karaj, large, django_capture_on_commit_callbacks
):
    client.force_login(branch_tehran)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}?branch={enrolled_a.branch_id}&month=1405/10", {"build": "csv"})
    job = MonthlyListJob.objects.get()
    client.force_login(branch_karaj)
    assert client.get(reverse("reports_dashboard:monthly_file", args=[job.pk])).status_code == 404
    response = client.post(f"{URL}?branch={enrolled_a.branch_id}&month=1405/10", {"build": "csv"})
    assert response.status_code == 404 and MonthlyListJob.objects.count() == 1


def test_a_user_who_lost_the_branch_gets_no_file(enrolled_a, branch_tehran):
    job = MonthlyListJob.objects.create(
        user=branch_tehran, branch_id=enrolled_a.branch_id, month=DEY, file_format="csv"
    )
    branch_tehran.groups.clear()
    assert deduction_jobs.monthly_job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == deduction_jobs.MONTHLY_REFUSED and not job.file
