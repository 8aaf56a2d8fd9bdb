"""Requests in two counties, and helpers that take an export through the admin as staff do."""

import csv
import io

from openpyxl import load_workbook

from enrollment import drafts
from enrollment.models import EnrollmentRequest, Operation, Pensioner
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

CARTABLE = "/admin/enrollment/enrollmentrequest/"
REGISTRY = "/admin/enrollment/pensioner/"
JOBS = "/admin/reports/exportjob/"


def karaj_withdrawal(pensioner_b: Pensioner) -> EnrollmentRequest:
    """Karaj: pensioner B withdraws self and spouse."""
    operations = {person.key: Operation.WITHDRAW for person in drafts.people_listed(pensioner_b) if person.insured}
    return file_request(pensioner_b, operations)


def another_tehran_request(pensioner_a: Pensioner) -> EnrollmentRequest:
    """A pensioner of Tehran with no dependents enrolls: a request of one row."""
    return file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))


def export(client, url: str, *, file_format: str = "csv", ids=(), select_across: bool = True, follow: bool = False):
    """The two POSTs of «خروجی اکسل/CSV»: the action (which asks for the format), then the format."""
    selection = {"_selected_action": [str(pk) for pk in ids] or ["0"], "select_across": "1" if select_across else "0"}
    first = client.post(url, {"action": "export_list", "index": "0", **selection})
    assert first.status_code == 200, first
    assert "قالب فایل" in first.content.decode()
    return client.post(url, {"action": "export_list", "export_format": file_format, **selection}, follow=follow)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), "CSV must start with a UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[list[str]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [[cell or "" for cell in row] for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
