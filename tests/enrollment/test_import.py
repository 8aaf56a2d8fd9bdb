"""Pensioner registry import from the central pension system's extract: all or nothing, Persian row errors,
re-import is a no-op, and no query per row for branches and counties."""

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_export.formats.base_formats import CSV, XLSX

from core.identity import national_code_check_digit
from enrollment import resources
from enrollment.models import Pensioner
from enrollment.resources import IMPORT_REASON, PensionerResource
from fixtures.demo import demo_world_ensure

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "registry_sample.csv"
HEADER = [
    "کد ملی",
    "شماره مستمری",
    "نام",
    "نام خانوادگی",
    "نام پدر",
    "تاریخ تولد",
    "جنسیت",
    "تلفن همراه",
    "کد شعبه",
    "کد شهرستان",
    "همکار",
    "پرونده فعال",
]
IMPORT_URL = "/admin/enrollment/pensioner/import/"
PROCESS_URL = "/admin/enrollment/pensioner/process_import/"
BAD_CODE_MESSAGE = "کد ملی معتبر نیست؛ لطفاً رقم‌ها را دوباره بررسی کنید."


@pytest.fixture(autouse=True)
def world():
    return demo_world_ensure()


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def national_code(n: int) -> str:
    nine = f"00420{n:04d}"
    return nine + national_code_check_digit(nine)


def row(n: int, changes: dict[str, object] | None = None) -> dict[str, object]:
    values = {
        "کد ملی": national_code(n),
        "شماره مستمری": f"3000{n:05d}",
        "نام": "حسین",
        "نام خانوادگی": f"رضایی {n}",
        "نام پدر": "علی",
        "تاریخ تولد": "1336/01/23",
        "جنسیت": "مرد",
        "تلفن همراه": f"0912400{n:04d}",
        "کد شعبه": "1012",
        "کد شهرستان": "TEH",
        "همکار": "خیر",
        "پرونده فعال": "بله",
    }
    return values | (changes or {})


def csv_bytes(rows: list[dict[str, object]], *, bom: bool = True, columns: list[str] = HEADER) -> bytes:
    lines = [",".join(columns)] + [",".join(str(r[column]) for column in columns) for r in rows]
    return "\r\n".join(lines).encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[dict[str, object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for r in rows:
        sheet.append([r[column] for column in HEADER])
    sheet.append([None] * len(HEADER))  # an empty formatted row after the data, as Excel leaves them
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(content: bytes, *, file_format=CSV, dry_run: bool = False, **kwargs):
    dataset = file_format(encoding="utf-8-sig").create_dataset(content)
    return PensionerResource().import_data(dataset, dry_run=dry_run, **kwargs)


def errors_by_row(result) -> dict[int, dict[str, list[str]]]:
    return {invalid.number: invalid.error_dict for invalid in result.invalid_rows}


def registry_state() -> tuple[int, int]:
    return Pensioner.objects.count(), Pensioner.history.count()


BAD_FILE_ROWS = [
    row(1),
    row(2, {"کد ملی": "0042000012"}),  # wrong check digit
    row(3, {"کد شعبه": "9999"}),
    row(4, {"کد ملی": national_code(1), "شماره مستمری": "300000001"}),  # row 1 again
    row(5),
]


# --- a good file -------------------------------------------------------------------------------------------------


def test_sample_file_imports_every_row_with_jalali_dates_and_normalized_text(world):
    before, _ = registry_state()

    call_command("import_pensioners", str(SAMPLE), stdout=io.StringIO())

    assert Pensioner.objects.count() == before + 10
    first = Pensioner.objects.get(national_code="0041000013")
    assert first.birth_date == dt.date(1957, 4, 12)  # 1336/01/23
    assert (first.paying_branch.code, first.county.code, first.gender) == ("1012", "TEH", "male")
    assert (first.is_colleague, first.file_active, first.has_supplementary) == (False, True, False)
    # The row typed in Persian digits and Arabic letters is stored in the one normal form.
    typed = Pensioner.objects.get(national_code="0041000056")
    assert (typed.pension_number, typed.mobile) == ("200000105", "09123000005")
    assert (typed.first_name, typed.last_name, typed.father_name) == ("علی", "رحیمی", "کاظم")
    assert typed.birth_date == dt.date(1959, 6, 6)  # ۱۳۳۸/۰۳/۱۵
    assert Pensioner.objects.get(national_code="0041000080").is_colleague is True
    assert Pensioner.objects.get(national_code="0041000099").file_active is False


@pytest.mark.parametrize("bom", [True, False], ids=["utf8-bom", "utf8"])
def test_csv_with_or_without_bom_imports(bom):
    result = run_import(csv_bytes([row(1), row(2)], bom=bom))

    assert not result.has_errors() and not result.has_validation_errors()
    assert Pensioner.objects.filter(national_code__in=[national_code(1), national_code(2)]).count() == 2


def test_xlsx_imports_and_numeric_cells_keep_their_leading_zeros():
    numeric = row(2, {"کد ملی": int(national_code(2)), "تلفن همراه": 9124000002, "کد شعبه": 1020})

    result = run_import(xlsx_bytes([row(1), numeric]), file_format=XLSX)

    assert result.totals["new"] == 2 and not result.has_validation_errors()
    second = Pensioner.objects.get(national_code=national_code(2))
    assert (second.mobile, second.paying_branch.code) == ("09124000002", "1020")


def test_persian_and_arabic_digits_in_every_cell_are_accepted():
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    typed = {column: str(value).translate(persian) for column, value in row(1).items()}
    typed["تاریخ تولد"] = "١٣٣٦/٠١/٢٣".translate(arabic)

    result = run_import(csv_bytes([typed]))

    assert result.totals["new"] == 1, errors_by_row(result)
    pensioner = Pensioner.objects.get(national_code=national_code(1))
    assert (pensioner.pension_number, pensioner.mobile) == ("300000001", "09124000001")
    assert (pensioner.birth_date, pensioner.paying_branch.code) == (dt.date(1957, 4, 12), "1012")


def test_imported_rows_say_who_imported_and_why():
    manager = User.objects.get(username="manager")

    run_import(csv_bytes([row(1)]), user=manager, file_name="extract-1405.csv")

    record = Pensioner.objects.get(national_code=national_code(1)).history.get()
    assert record.history_type == "+"
    assert record.history_user == manager
    assert record.history_change_reason == f"{IMPORT_REASON}: extract-1405.csv"


# --- any error imports nothing -------------------------------------------------------------------------------------


def test_dry_run_reports_each_bad_row_in_persian_with_its_row_number():
    result = run_import(csv_bytes(BAD_FILE_ROWS), dry_run=True)

    errors = errors_by_row(result)
    assert set(errors) == {2, 3, 4}
    assert errors[2] == {"کد ملی": [BAD_CODE_MESSAGE]}
    assert errors[3] == {"کد شعبه": ["شعبه‌ای با کد «۹۹۹۹» پیدا نشد."]}
    assert errors[4] == {"کد ملی": ["کد ملی تکراری در فایل: ۰۰۴۲۰۰۰۰۱۷ (همان کد ملی ردیف ۱)"]}
    assert national_code(1) == "0042000017"


@pytest.mark.parametrize("caller_asks_rollback", [True, False], ids=["rollback-asked", "admin-confirm-default"])
def test_a_file_with_any_error_imports_nothing(caller_asks_rollback):
    before = registry_state()

    result = run_import(csv_bytes(BAD_FILE_ROWS), rollback_on_validation_errors=caller_asks_rollback)

    assert result.has_validation_errors()
    assert result.totals["new"] == 2  # rows 1 and 5 were valid, and still rolled back
    assert registry_state() == before
    assert not Pensioner.objects.filter(national_code=national_code(1)).exists()


def test_unknown_county_bad_mobile_date_and_gender_are_persian_row_errors():
    result = run_import(
        csv_bytes(
            [
                row(1, {"کد شهرستان": "XYZ"}),
                row(2, {"تلفن همراه": "0812"}),
                row(3, {"تاریخ تولد": "1336/13/01"}),
                row(4, {"جنسیت": "male"}),
                row(5, {"همکار": ""}),
            ]
        ),
        dry_run=True,
    )

    errors = errors_by_row(result)
    assert errors[1] == {"کد شهرستان": ["شهرستانی با کد «XYZ» پیدا نشد."]}
    assert errors[2] == {"تلفن همراه": ["شماره همراه باید ۱۱ رقم و به شکل ۰۹xxxxxxxxx باشد."]}
    assert errors[3] == {"تاریخ تولد": ["این تاریخ در تقویم وجود ندارد."]}
    assert errors[4] == {"جنسیت": ["«male» پذیرفته نیست؛ «مرد» یا «زن» بنویسید."]}
    assert errors[5] == {"همکار": ["خالی است؛ «بله» یا «خیر» بنویسید."]}


def test_pension_number_of_another_pensioner_is_a_row_error_not_an_integrity_error():
    before = registry_state()
    taken = row(1, {"شماره مستمری": "100000011"})  # pensioner A's (0010000011)

    result = run_import(csv_bytes([taken]))

    assert not result.has_errors()
    assert errors_by_row(result) == {
        1: {"شماره مستمری": ["شماره مستمری ۱۰۰۰۰۰۰۱۱ متعلق به کد ملی دیگری است: ۰۰۱۰۰۰۰۰۱۱"]}
    }
    assert registry_state() == before


def test_pension_number_twice_in_the_file_is_a_row_error():
    result = run_import(csv_bytes([row(1), row(2, {"شماره مستمری": "300000001"})]), dry_run=True)

    assert errors_by_row(result) == {
        2: {"شماره مستمری": ["شماره مستمری ۳۰۰۰۰۰۰۰۱ متعلق به کد ملی دیگری است: ۰۰۴۲۰۰۰۰۱۷"]}
    }


def test_a_missing_column_is_a_persian_file_error_and_imports_nothing():
    before = registry_state()
    columns = [column for column in HEADER if column != "کد شعبه"]

    result = run_import(csv_bytes([row(1)], columns=columns))

    assert [str(error.error) for error in result.base_errors] == ["این ستون‌ها در فایل نیست: «کد شعبه»"]
    assert not result.invalid_rows and not result.error_rows
    assert registry_state() == before


# --- re-import -----------------------------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing():
    content = SAMPLE.read_bytes()
    run_import(content)
    before = registry_state()
    stamps = dict(Pensioner.objects.values_list("national_code", "updated_at"))

    result = run_import(content)

    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 0, 10)
    assert registry_state() == before
    assert dict(Pensioner.objects.values_list("national_code", "updated_at")) == stamps


def test_a_changed_row_is_updated_with_one_history_row_and_the_payroll_flag_untouched():
    run_import(csv_bytes([row(1), row(2)]))
    Pensioner.objects.filter(national_code=national_code(1)).update(has_supplementary=True)
    history_before = Pensioner.history.count()

    result = run_import(csv_bytes([row(1, {"تلفن همراه": "09129999999"}), row(2)]), file_name="second.csv")

    assert (result.totals["update"], result.totals["skip"]) == (1, 1)
    assert Pensioner.history.count() == history_before + 1
    pensioner = Pensioner.objects.get(national_code=national_code(1))
    assert (pensioner.mobile, pensioner.has_supplementary) == ("09129999999", True)
    assert pensioner.history.first().history_change_reason == f"{IMPORT_REASON}: second.csv"


def test_existing_pensioners_are_found_across_lookup_windows(monkeypatch):
    monkeypatch.setattr(resources, "ROWS_PER_QUERY", 2)
    run_import(csv_bytes([row(n) for n in range(1, 6)]))
    history_before = Pensioner.history.count()

    again = [row(n) for n in range(1, 6)]
    again[3] = row(4, {"نام پدر": "محمد"})
    result = run_import(csv_bytes(again))

    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 1, 4)
    assert Pensioner.history.count() == history_before + 1
    duplicate = run_import(csv_bytes([*again, row(1)]), dry_run=True)
    assert list(errors_by_row(duplicate)) == [6]


def test_the_payroll_flag_is_not_a_column():
    assert "has_supplementary" not in PensionerResource().fields


# --- cost ----------------------------------------------------------------------------------------------------------


def _import_queries(first: int, count: int) -> list[str]:
    content = csv_bytes([row(n) for n in range(first, first + count)])
    with CaptureQueriesContext(connection) as captured:
        result = run_import(content)
    assert result.totals["new"] == count
    return [query["sql"] for query in captured.captured_queries]


def test_branches_and_counties_are_read_once_per_import_not_once_per_row():
    _import_queries(500, 1)  # the audit log's names of the branch and county, read once and cached
    few = _import_queries(1, 10)
    many = _import_queries(100, 50)

    for table in ("enrollment_branch", "enrollment_county"):
        assert sum(table in sql for sql in few) == sum(table in sql for sql in many) == 1
    # Per new row: savepoint, insert, history insert, audit entry, release. Nothing else grows with the file.
    assert len(many) - len(few) == 5 * 40


# --- admin ---------------------------------------------------------------------------------------------------------


def _upload(client, content: bytes, name: str = "extract.csv", file_format: str = "0"):
    return client.post(IMPORT_URL, {"format": file_format, "import_file": SimpleUploadedFile(name, content)})


def page_text(response) -> str:
    """The page as a reader sees it: no tags, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_admin_import_page_is_persian(superuser_client):
    response = superuser_client.get(IMPORT_URL)

    assert response.status_code == 200
    page = page_text(response)
    assert "ستون‌های فایل: " + "، ".join(HEADER) in page
    assert 'value="بررسی فایل"' in response.content.decode()
    assert "Confirm Import" not in page


def test_admin_upload_of_a_bad_file_shows_persian_row_errors_and_no_confirm_button(superuser_client):
    before = registry_state()

    response = _upload(superuser_client, csv_bytes(BAD_FILE_ROWS))

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    page = page_text(response)
    assert "۳ ردیف خطا دارد؛ هیچ ردیفی وارد نشد." in page
    assert BAD_CODE_MESSAGE in page
    assert "شعبه‌ای با کد «۹۹۹۹» پیدا نشد." in page
    assert "کد ملی تکراری در فایل: ۰۰۴۲۰۰۰۰۱۷" in page
    assert registry_state() == before


def test_admin_upload_then_confirm_imports_a_clean_file(superuser_client):
    response = _upload(superuser_client, SAMPLE.read_bytes(), name="registry_sample.csv")
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert "۱۰ مستمری‌بگیر جدید، ۰ به‌روزرسانی و ۰ بدون تغییر" in page_text(response)
    assert Pensioner.objects.filter(national_code="0041000013").count() == 0  # the dry run saved nothing

    response = superuser_client.post(PROCESS_URL, confirm.initial, follow=True)

    assert response.redirect_chain[-1][0] == "/admin/enrollment/pensioner/"
    assert "ورود فایل انجام شد: ۱۰ مستمری‌بگیر جدید، ۰ به‌روزرسانی، ۰ بدون تغییر." in page_text(response)
    record = Pensioner.objects.get(national_code="0041000013").history.get()
    assert record.history_user.username == "root"
    assert record.history_change_reason == f"{IMPORT_REASON}: registry_sample.csv"


def test_admin_xlsx_upload_then_confirm(superuser_client):
    response = _upload(superuser_client, xlsx_bytes([row(1), row(2)]), name="extract.xlsx", file_format="1")
    superuser_client.post(PROCESS_URL, response.context["confirm_form"].initial)

    assert Pensioner.objects.filter(national_code__in=[national_code(1), national_code(2)]).count() == 2


def test_admin_confirm_imports_nothing_when_the_registry_changed_since_the_dry_run(superuser_client):
    response = _upload(superuser_client, csv_bytes([row(1), row(2)]))
    confirm = response.context["confirm_form"]
    # Meanwhile someone else registers row 2's pension number for another pensioner.
    Pensioner.objects.filter(national_code="0010000011").update(pension_number="300000002")
    before = registry_state()

    response = superuser_client.post(PROCESS_URL, confirm.initial, follow=True)

    assert "هیچ ردیفی وارد نشد" in page_text(response)
    assert registry_state() == before


def test_staff_without_add_and_change_permission_cannot_import(client):
    client.force_login(User.objects.get(username="kanoon_tehran"))

    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(PROCESS_URL, {}).status_code == 403


# --- management command --------------------------------------------------------------------------------------------


def test_command_with_a_bad_file_exits_non_zero_and_imports_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(BAD_FILE_ROWS))
    before = registry_state()
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="هیچ ردیفی وارد نشد"):
        call_command("import_pensioners", str(path), stdout=out, stderr=err)

    assert registry_state() == before
    lines = err.getvalue().splitlines()
    assert f"ردیف ۲ - کد ملی: {BAD_CODE_MESSAGE}" in lines
    assert "ردیف ۳ - کد شعبه: شعبه‌ای با کد «۹۹۹۹» پیدا نشد." in lines
    assert "ردیف ۴ - کد ملی: کد ملی تکراری در فایل: ۰۰۴۲۰۰۰۰۱۷ (همان کد ملی ردیف ۱)" in lines
    assert "ردیف‌های دارای خطا: ۳" in out.getvalue()


def test_command_dry_run_saves_nothing_and_reports_totals(tmp_path):
    before = registry_state()
    out = io.StringIO()

    call_command("import_pensioners", str(SAMPLE), "--dry-run", stdout=out)

    assert registry_state() == before
    assert "جدید: ۱۰، به‌روزرسانی: ۰، بدون تغییر: ۰" in out.getvalue()


def test_command_imports_xlsx_in_the_name_of_a_user(tmp_path):
    path = tmp_path / "extract.xlsx"
    path.write_bytes(xlsx_bytes([row(1)]))

    call_command("import_pensioners", str(path), "--user", "manager", stdout=io.StringIO())

    record = Pensioner.objects.get(national_code=national_code(1)).history.get()
    assert (record.history_user.username, record.history_change_reason) == ("manager", f"{IMPORT_REASON}: extract.xlsx")


def test_command_refuses_other_formats(tmp_path):
    path = tmp_path / "extract.json"
    path.write_text("[]")

    with pytest.raises(CommandError, match="csv"):
        call_command("import_pensioners", str(path))
