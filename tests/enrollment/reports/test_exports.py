"""Exports of the cartable and the registry: exactly the rows in the user's scope, Persian headers in order,
Latin digits, Jalali dates, CSV and XLSX, at once or as a background job."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from enrollment import selectors, workflow
from enrollment.models import Kanoon, Pensioner, RequestItem, RequestStatus
from enrollment.reports import exports
from enrollment.reports.models import ExportJob, ExportKind
from policies.models import Relation
from tests.enrollment.reports.export_helpers import (
    CARTABLE,
    JOBS,
    REGISTRY,
    another_tehran_request,
    csv_rows,
    export,
    karaj_withdrawal,
    xlsx_rows,
)

REQUEST_HEADERS = [
    "کد رهگیری",
    "وضعیت درخواست",
    "زمان ثبت",
    "کانون",
    "کد شعبه",
    "شعبه",
    "کد ملی مستمری‌بگیر",
    "نام و نام خانوادگی مستمری‌بگیر",
    "شماره مستمری",
    "کد ملی فرد",
    "نام و نام خانوادگی فرد",
    "نسبت",
    "وضعیت قبلی",
    "عملیات",
    "وضعیت جدید",
]
REGISTRY_HEADERS = [
    "کد ملی",
    "شماره مستمری",
    "نام",
    "نام خانوادگی",
    "نام پدر",
    "کد شعبه",
    "شهرستان",
    "همکار",
    "پرونده فعال",
    "بیمه تکمیلی",
]
PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture
def submitted_b(pensioner_b):
    return karaj_withdrawal(pensioner_b)


def _column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


# -- scope -------------------------------------------------------------------------------------------


def test_a_kanoon_export_has_exactly_its_countys_rows(client, kanoon_tehran, submitted_a, submitted_b):
    client.force_login(kanoon_tehran)
    response = export(client, CARTABLE + "?status__exact=kanoon_review")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="enrollment-list-')
    rows = csv_rows(response.content)
    assert rows[0] == REQUEST_HEADERS
    assert set(_column(rows, "کد رهگیری")) == {submitted_a.tracking_code}
    expected_people = {item.person.national_code for item in submitted_a.items.select_related("dependent")}
    assert sorted(_column(rows, "کد ملی فرد")) == sorted(expected_people)
    assert len(rows) - 1 == submitted_a.items.count() == 3


def test_kanoon_karaj_never_gets_tehrans_rows(client, kanoon_karaj, submitted_a, submitted_b):
    client.force_login(kanoon_karaj)
    everything = csv_rows(export(client, CARTABLE + "?status__exact=kanoon_review").content)
    assert set(_column(everything, "کد رهگیری")) == {submitted_b.tracking_code}
    assert "تهران" not in " ".join(_column(everything, "کانون"))
    # Tehran's request ticked by hand, found by search, or filtered by its branch
    crafted = export(client, CARTABLE + "?status__exact=kanoon_review", ids=[submitted_a.pk], select_across=False)
    assert csv_rows(crafted.content) == [REQUEST_HEADERS]
    assert csv_rows(export(client, CARTABLE + f"?q={submitted_a.tracking_code}").content) == [REQUEST_HEADERS]
    assert csv_rows(export(client, CARTABLE + f"?branch__id__exact={submitted_a.branch_id}").content) == [
        REQUEST_HEADERS
    ]


# Who is outside the scope of pensioner A's request (Tehran county, Tehran branch) at each stage, and inside.
OUTSIDERS = [
    (RequestStatus.KANOON_REVIEW, "kanoon_karaj"),
    (RequestStatus.KANOON_REVIEW, "branch_karaj"),
    (RequestStatus.KANOON_REVIEW, "branch_tehran"),  # a branch meets a request only after its Kanoon approved
    (RequestStatus.BRANCH_REVIEW, "kanoon_karaj"),
    (RequestStatus.BRANCH_REVIEW, "branch_karaj"),
]
INSIDERS = [
    (RequestStatus.KANOON_REVIEW, "kanoon_tehran"),
    (RequestStatus.BRANCH_REVIEW, "kanoon_tehran"),
    (RequestStatus.BRANCH_REVIEW, "branch_tehran"),
    (RequestStatus.BRANCH_REVIEW, "manager"),
    (RequestStatus.KANOON_REVIEW, "auditor"),
]


def _staged(request, stage, kanoon_tehran):
    if stage == RequestStatus.BRANCH_REVIEW:
        workflow.request_kanoon_approve(request_id=request.pk, by=kanoon_tehran)
    return request


def _exported_codes(client, request) -> set[str]:
    """Every way the cartable offers: each status with "all", and the request ticked by hand."""
    codes = set()
    for status in RequestStatus.values:
        url = f"{CARTABLE}?status__exact={status}"
        codes |= set(_column(csv_rows(export(client, url).content), "کد رهگیری"))
        ticked = export(client, url, ids=[request.pk], select_across=False)
        codes |= set(_column(csv_rows(ticked.content), "کد رهگیری"))
    return codes


@pytest.mark.parametrize(("stage", "username"), OUTSIDERS)
def test_outsiders_never_export_the_request(client, submitted_a, kanoon_tehran, stage, username):
    request = _staged(submitted_a, stage, kanoon_tehran)
    user = User.objects.get(username=username)
    client.force_login(user)
    assert request.tracking_code not in _exported_codes(client, request)
    job = ExportJob.objects.create(
        user=user, kind=ExportKind.REQUEST_ITEMS, file_format="csv", selected_ids=[request.pk]
    )  # a job row written by hand, as if the action had been tricked
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.rows_written == 0


@pytest.mark.parametrize(("stage", "username"), INSIDERS)
def test_insiders_export_the_request(client, submitted_a, kanoon_tehran, stage, username):
    request = _staged(submitted_a, stage, kanoon_tehran)
    client.force_login(User.objects.get(username=username))
    assert request.tracking_code in _exported_codes(client, request)


def test_ticked_rows_export_only_those_requests(client, kanoon_tehran, submitted_a, pensioner_a):
    other = another_tehran_request(pensioner_a)
    client.force_login(kanoon_tehran)
    response = export(client, CARTABLE + "?status__exact=kanoon_review", ids=[other.pk], select_across=False)
    rows = csv_rows(response.content)
    assert _column(rows, "کد رهگیری") == [other.tracking_code]


def test_the_list_filters_apply_to_the_export(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    assert csv_rows(export(client, CARTABLE + "?status__exact=branch_review").content) == [REQUEST_HEADERS]
    assert len(csv_rows(export(client, CARTABLE + "?status__exact=kanoon_review&persons=3").content)) == 4
    assert csv_rows(export(client, CARTABLE + "?status__exact=kanoon_review&persons=1").content) == [REQUEST_HEADERS]


def test_the_registry_export_of_a_kanoon_is_its_county(client, kanoon_karaj, world):
    client.force_login(kanoon_karaj)
    rows = csv_rows(export(client, REGISTRY).content)
    assert rows[0] == REGISTRY_HEADERS
    visible = set(selectors.pensioners_visible_to(kanoon_karaj).values_list("national_code", flat=True))
    assert visible and set(_column(rows, "کد ملی")) == visible
    karaj = Kanoon.objects.get(county__code="KRJ").county
    assert set(_column(rows, "شهرستان")) == {karaj.name}
    assert "0010000011" not in _column(rows, "کد ملی")


def test_the_registry_export_of_a_manager_is_everyone(client, manager, world):
    client.force_login(manager)
    rows = xlsx_rows(export(client, REGISTRY, file_format="xlsx").content)
    assert len(rows) - 1 == Pensioner.objects.count()


def test_staff_without_a_reading_role_are_not_offered_the_export(client, world):
    outsider = User.objects.get(username="pr_staff")
    assert not exports.may_export(outsider, ExportKind.REQUEST_ITEMS)
    with pytest.raises(PermissionError):
        exports.export_start(user=outsider, kind=ExportKind.PENSIONERS, file_format="csv")
    client.force_login(outsider)
    assert client.get(JOBS).status_code == 403


# -- cells -------------------------------------------------------------------------------------------


def test_cells_have_latin_digits_and_jalali_dates(client, kanoon_tehran, submitted_a, pensioner_a):
    submitted_a.__class__.objects.filter(pk=submitted_a.pk).update(
        submitted_at=timezone.make_aware(dt.datetime(2026, 11, 25, 14, 30))
    )
    client.force_login(kanoon_tehran)
    rows = csv_rows(export(client, CARTABLE + "?status__exact=kanoon_review").content)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["زمان ثبت"] == "1405/09/04 14:30"
    assert first["کد رهگیری"] == submitted_a.tracking_code
    assert first["کد ملی مستمری‌بگیر"] == "0010000011"
    assert first["شماره مستمری"] == pensioner_a.pension_number
    assert first["وضعیت درخواست"] == "در حال بررسی کانون بازنشستگان و مستمری‌بگیران"
    assert not PERSIAN_DIGITS & set("".join(cell for row in rows for cell in row))
    by_person = {row[rows[0].index("نام و نام خانوادگی فرد")]: row for row in rows[1:]}
    self_row = dict(zip(rows[0], by_person[pensioner_a.full_name], strict=True))
    assert (self_row["نسبت"], self_row["وضعیت قبلی"], self_row["عملیات"], self_row["وضعیت جدید"]) == (
        Relation.SELF.label,
        "ندارد",
        "ثبت‌نام",
        "دارد",
    )


def test_a_withdrawal_reads_has_then_has_not(client, kanoon_karaj, submitted_b):
    client.force_login(kanoon_karaj)
    rows = csv_rows(export(client, CARTABLE + "?status__exact=kanoon_review").content)
    assert {(r[12], r[13], r[14]) for r in rows[1:]} == {("دارد", "انصراف", "ندارد")}


def test_xlsx_reads_back_with_openpyxl(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    response = export(client, CARTABLE + "?status__exact=kanoon_review", file_format="xlsx")
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response.content)
    assert rows[0] == REQUEST_HEADERS
    assert len(rows) == 4 and set(_column(rows, "کد رهگیری")) == {submitted_a.tracking_code}
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.sheet_view.rightToLeft and sheet.freeze_panes == "A2"
    assert all(isinstance(cell.value, str) for cell in sheet[2])  # codes stay text: leading zeros survive


def test_xlsx_goes_on_in_a_new_sheet_past_the_row_limit(monkeypatch, manager, submitted_a):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # a header and two rows a sheet
    outcome = exports.export_start(user=manager, kind=ExportKind.REQUEST_ITEMS, file_format="xlsx")
    book = load_workbook(io.BytesIO(outcome.content), read_only=True)
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert [len(rows) for rows in sheets] == [3, 2]
    assert all(list(rows[0]) == REQUEST_HEADERS for rows in sheets)


def test_an_inline_export_costs_the_same_queries_for_more_rows(manager, submitted_a, pensioner_a):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            outcome = exports.export_start(user=manager, kind=ExportKind.REQUEST_ITEMS, file_format="csv")
        assert outcome.job.rows_written == RequestItem.objects.count()
        return len(captured)

    exports.export_start(user=manager, kind=ExportKind.REQUEST_ITEMS, file_format="csv")  # scope cached
    few = queries()
    for _ in range(4):
        another_tehran_request(pensioner_a)
    assert queries() == few


# -- the record of every export ------------------------------------------------------------------------


def test_a_small_export_is_recorded_as_done_without_a_file(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    export(client, CARTABLE + "?status__exact=kanoon_review", file_format="xlsx")
    job = ExportJob.objects.get()
    assert (job.user, job.kind, job.file_format, job.status) == (kanoon_tehran, "request_items", "xlsx", "done")
    assert job.query == "status__exact=kanoon_review" and job.selected_ids is None
    assert job.rows_written == 3 and not job.file
