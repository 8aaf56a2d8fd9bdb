"""The exports read plain rows (values_list tuples) and render them with each resource's plain_row: the file
must hold exactly what django-import-export's per-instance rendering of the same rows writes, cell for cell,
in the same order, within the same scope: Jalali times, status, relation and operation labels, has/has not,
names joined, Latin digits."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from import_export.resources import Resource

from core.spreadsheet import safe_row
from enrollment import selectors, workflow
from enrollment.models import EnrollmentRequest, Pensioner, RequestItem
from enrollment.reports import exports
from enrollment.reports.models import ExportKind
from enrollment.reports.resources import PensionerRegistryExportResource, RequestItemExportResource
from tests.enrollment.conftest import file_request
from tests.enrollment.reports.export_helpers import another_tehran_request, csv_rows, karaj_withdrawal, xlsx_rows

PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture
def requests_of_every_kind(pensioner_a, pensioner_b, kanoon_tehran) -> list[EnrollmentRequest]:
    """Tehran: pensioner A's family enrollment moved on to the branch, and a one-person request submitted
    just before midnight Tehran time (its Jalali day is Tehran's, not UTC's); Karaj: a withdrawal."""
    family = workflow.request_kanoon_approve(request_id=file_request(pensioner_a).pk, by=kanoon_tehran)
    late = another_tehran_request(pensioner_a)
    EnrollmentRequest.objects.filter(pk=late.pk).update(
        submitted_at=timezone.make_aware(dt.datetime(2026, 3, 20, 23, 59))  # 29 Esfand 1404, 20:29 UTC
    )
    return [family, late, karaj_withdrawal(pensioner_b)]


def _per_instance(resource: type[Resource], objects) -> list[list[str]]:
    """The rows as django-import-export writes them from model instances (Resource.export_resource)."""
    renderer = resource()
    return [safe_row(renderer.export_resource(obj)) for obj in objects]


def _items(requests) -> list[RequestItem]:
    return list(
        RequestItem.objects.filter(request__in=requests)
        .select_related("request__pensioner", "request__kanoon", "request__branch", "dependent")
        .order_by("request__submitted_at", "request_id", "id")
    )


def _file(user, kind: str, file_format: str) -> list[list[str]]:
    out = io.BytesIO()
    rows = exports.export_rows(user=user, kind=kind)
    written = exports.export_write(kind=kind, rows=rows, file_format=file_format, out=out)
    content = out.getvalue()
    table = csv_rows(content) if file_format == "csv" else xlsx_rows(content)
    assert len(table) == written + 1
    return table


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_enrollment_list_equals_the_per_instance_rendering(manager, requests_of_every_kind, file_format):
    header, *rows = _file(manager, ExportKind.REQUEST_ITEMS, file_format)
    expected = _per_instance(RequestItemExportResource, _items(EnrollmentRequest.objects.all()))
    assert header == RequestItemExportResource().get_export_headers()
    assert len(rows) == RequestItem.objects.count() >= 6
    assert rows == expected
    # what the rows cover, so that equality above is about something
    assert {row[1] for row in rows} >= {
        "در حال بررسی کانون بازنشستگان و مستمری‌بگیران",
        "در حال بررسی - نیاز به رسیدگی شعبه",
    }
    assert {row[13] for row in rows} >= {"ثبت‌نام", "انصراف"}
    assert {row[11] for row in rows} >= {"مستمری‌بگیر اصلی", "همسر", "فرزند"}
    assert "1404/12/29 23:59" in {row[2] for row in rows}
    assert not PERSIAN_DIGITS & set("".join(cell for row in rows for cell in row))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_kanoon_users_export_holds_only_their_kanoons_rows(kanoon_tehran, requests_of_every_kind, file_format):
    _, *rows = _file(kanoon_tehran, ExportKind.REQUEST_ITEMS, file_format)
    theirs = selectors.requests_visible_to(kanoon_tehran, EnrollmentRequest.objects.all())
    assert rows == _per_instance(RequestItemExportResource, _items(theirs))
    assert rows and {row[3] for row in rows} == {requests_of_every_kind[0].kanoon.name}
    karaj = requests_of_every_kind[-1]
    assert karaj.tracking_code not in {row[0] for row in rows}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_registry_equals_the_per_instance_rendering(manager, world, file_format):
    Pensioner.objects.filter(pk=Pensioner.objects.order_by("pk").first().pk).update(father_name="")
    header, *rows = _file(manager, ExportKind.PENSIONERS, file_format)
    pensioners = Pensioner.objects.select_related("paying_branch", "county").order_by("pk")
    assert header == PensionerRegistryExportResource().get_export_headers()
    expected = _per_instance(PensionerRegistryExportResource, pensioners)
    if file_format == "xlsx":  # an empty text is an empty cell, read back as nothing
        expected = [[cell or "" for cell in row] for row in expected]
    assert rows == expected and len(rows) >= 3
    assert {row[7] for row in rows} == {"بله", "خیر"}  # pensioner C is a colleague
    assert {row[9] for row in rows} == {"دارد", "ندارد"}  # pensioner B is insured


def test_the_export_reads_its_rows_in_one_query_of_plain_values(manager, requests_of_every_kind):
    rows = exports.export_rows(user=manager, kind=ExportKind.REQUEST_ITEMS)
    first = next(iter(rows))
    assert isinstance(first, tuple) and len(first) == len(RequestItemExportResource.rows_columns)
