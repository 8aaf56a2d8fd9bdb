"""Onboarding staff from a file: a dry run with Persian errors per row, then all or nothing, and a re-import that
changes nothing."""

import io

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook
from tablib import Dataset

from audit.models import AuditEntry
from enrollment import roles
from enrollment.models import KanoonUserObjectPermission, StaffProfile
from enrollment.staff.resources import COLUMNS, StaffResource
from enrollment.staff.selectors import offices_of, role_of
from tests.enrollment.staff.conftest import CLERK_ROW, STAFF_LIST, confirm, staff_file, upload
from tests.enrollment.test_admin_every_url import fingerprint

pytestmark = pytest.mark.django_db

BRANCH_ROW = {
    "username": "branch_karaj_2",
    "first_name": "کامران",
    "last_name": "شریفی",
    "role": "کارکنان شعبه",
    "offices": "3001",
}


def _errors(response) -> list[str]:
    result = response.context["result"]
    messages = [str(error.error) for error in result.base_errors]
    for row in result.invalid_rows:
        for column, texts in row.error_dict.items():
            messages += [f"{row.number}|{column}|{text}" for text in texts]
    return messages


def test_a_manager_imports_a_clerk_after_a_dry_run(client, manager):
    client.force_login(manager)
    before = AuditEntry.objects.count()

    dry = upload(client, [CLERK_ROW, BRANCH_ROW])
    assert _errors(dry) == []
    assert not User.objects.filter(username="kanoon_tehran_2").exists()  # the dry run keeps nothing
    assert AuditEntry.objects.count() == before
    assert "۲ حساب تازه" in dry.content.decode()

    done = confirm(client, dry)
    assert done.status_code == 302 and done["Location"] == STAFF_LIST
    clerk = User.objects.get(username="kanoon_tehran_2")
    assert (clerk.first_name, clerk.last_name) == ("رویا", "کاظمی")
    profile = StaffProfile.objects.get(user=clerk)
    assert (profile.national_code, profile.mobile) == ("0010000046", "09123456789")
    assert role_of(clerk) == roles.KANOON_STAFF
    assert [k.county.code for k in offices_of(clerk).kanoons] == ["TEH"]
    assert not clerk.has_usable_password()
    assert [b.code for b in offices_of(User.objects.get(username="branch_karaj_2")).branches] == ["3001"]
    assert AuditEntry.objects.filter(object_id=str(clerk.pk), reason="ورود کارکنان از فایل").count() == 3


def test_importing_the_same_file_again_changes_nothing(client, manager):
    client.force_login(manager)
    confirm(client, upload(client, [CLERK_ROW, BRANCH_ROW]))
    before = fingerprint()

    again = upload(client, [CLERK_ROW, BRANCH_ROW])
    assert again.context["result"].totals["skip"] == 2
    confirm(client, again)

    assert fingerprint() == before


def test_a_changed_row_updates_only_what_changed(client, manager):
    client.force_login(manager)
    confirm(client, upload(client, [CLERK_ROW]))
    clerk = User.objects.get(username="kanoon_tehran_2")
    rows = AuditEntry.objects.count()

    confirm(client, upload(client, [{**CLERK_ROW, "offices": "TEH، SHM", "active": "خیر"}]))

    clerk.refresh_from_db()
    assert {k.county.code for k in offices_of(clerk).kanoons} == {"TEH", "SHM"}
    assert not clerk.is_active
    assert AuditEntry.objects.count() == rows + 2  # the offices, the active flag


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"role": "مدير کل"}, "نقش", "نقش «مدیر کل» شناخته نیست"),
        ({"offices": "TEH, XYZ"}, "واحدها", "کانونی برای شهرستانی با کد «XYZ» پیدا نشد."),
        ({"national_code": "0010000047"}, "کد ملی", "کد ملی معتبر نیست"),
        ({"mobile": "0912"}, "همراه", "شماره همراه باید ۱۱ رقم"),
        ({"active": "شاید"}, "فعال", "«شاید» پذیرفته نیست"),
        ({"username": "نام فارسی!"}, "نام کاربری", "فقط از حروف، رقم"),
        ({"role": "کارکنان شعبه", "offices": "TEH"}, "واحدها", "شعبه‌ای با کد «TEH» پیدا نشد."),
    ],
)
def test_a_bad_row_is_named_in_persian_and_nothing_is_imported(client, manager, row, column, message):
    client.force_login(manager)
    before = fingerprint()

    response = upload(client, [BRANCH_ROW, {**CLERK_ROW, **row}])

    errors = _errors(response)
    assert any(e.startswith(f"2|{column}|") and message in e for e in errors), errors
    assert "confirm_form" not in response.context
    assert fingerprint() == before


def test_a_username_twice_in_the_file_is_an_error(client, manager):
    client.force_login(manager)
    errors = _errors(upload(client, [CLERK_ROW, {**CLERK_ROW, "national_code": ""}]))
    assert errors == ["2|نام کاربری|نام کاربری تکراری در فایل: «kanoon_tehran_2» (همان ردیف ۱)"]


def test_a_province_manager_cannot_import_tehran_or_national_roles(client, manager_alborz):
    client.force_login(manager_alborz)
    before = fingerprint()

    response = upload(
        client,
        [
            {**CLERK_ROW, "offices": "KRJ"},
            {**BRANCH_ROW, "offices": "1012"},
            {**BRANCH_ROW, "username": "new_manager", "role": "مدیران", "offices": ""},
            {**BRANCH_ROW, "username": "kanoon_tehran", "role": "کارکنان کانون", "offices": "KRJ"},
        ],
    )

    errors = _errors(response)
    assert not any(e.startswith("1|") for e in errors)
    assert any(e.startswith("2|نقش|") and "در استان شما نیست" in e for e in errors)
    assert any(e.startswith("3|نقش|") and "نمی‌توانید نقش «مدیران» بدهید" in e for e in errors)
    assert any(e.startswith("4|نام کاربری|") and "گرفته شده" in e for e in errors)
    assert fingerprint() == before


def test_the_file_is_all_or_nothing_when_imported_without_a_dry_run(manager):
    _, content = staff_file([CLERK_ROW, {**BRANCH_ROW, "offices": "9999"}])
    dataset = Dataset().load(content.decode(), format="csv")
    grants = KanoonUserObjectPermission.objects.count()

    result = StaffResource(actor=manager).import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert not User.objects.filter(username__in=["kanoon_tehran_2", "branch_karaj_2"]).exists()
    assert KanoonUserObjectPermission.objects.count() == grants


def test_an_xlsx_file_with_numeric_cells_imports_too(client, manager):
    client.force_login(manager)
    dry = upload(client, [{**BRANCH_ROW, "offices": 3001}], file_format="xlsx")
    assert _errors(dry) == []
    confirm(client, dry)
    assert [b.code for b in offices_of(User.objects.get(username="branch_karaj_2")).branches] == ["3001"]


def test_the_templates_carry_the_header_row(client, manager):
    client.force_login(manager)
    csv = client.get(f"{STAFF_LIST}import-template/?format=csv")
    assert csv.status_code == 200
    assert csv.content.decode("utf-8-sig").strip() == ",".join(COLUMNS.values())
    xlsx = client.get(f"{STAFF_LIST}import-template/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[1]] == list(COLUMNS.values())


def test_the_import_page_explains_the_columns_and_links_the_templates(client, manager):
    client.force_login(manager)
    html = client.get(f"{STAFF_LIST}import/").content.decode()
    assert "ورود کارکنان از فایل" in html
    assert f"{STAFF_LIST}import-template/?format=xlsx" in html and f"{STAFF_LIST}import-template/?format=csv" in html


@pytest.mark.parametrize("username", ["kanoon_tehran", "auditor", "pr_staff"])
def test_staff_without_the_staff_page_cannot_import(client, world, username):
    client.force_login(User.objects.get(username=username))
    assert client.get(f"{STAFF_LIST}import/").status_code == 403
    assert client.get(f"{STAFF_LIST}import-template/?format=csv").status_code == 403
