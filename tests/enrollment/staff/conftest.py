"""The demo's administrators, and staff files written as an administrator would fill the template."""

import io

import pytest
from django.contrib.auth.models import User
from tablib import Dataset

from enrollment.staff.resources import COLUMNS

STAFF_LIST = "/admin/auth/user/"
IMPORT = "/admin/auth/user/import/"
CONFIRM = "/admin/auth/user/process_import/"


@pytest.fixture
def manager_alborz(world) -> User:
    return User.objects.get(username="manager_alborz")


@pytest.fixture
def pr_staff(world) -> User:
    return User.objects.get(username="pr_staff")


def staff_file(rows: list[dict[str, str]], file_format: str = "csv") -> tuple[str, bytes]:
    """A file with the template's header row; each row names its cells by field (COLUMNS' keys)."""
    dataset = Dataset(headers=list(COLUMNS.values()))
    for row in rows:
        dataset.append([row.get(name, "") for name in COLUMNS])
    if file_format == "xlsx":
        return "staff.xlsx", dataset.export("xlsx")
    return "staff.csv", dataset.export("csv").encode("utf-8")


def upload(client, rows: list[dict[str, str]], file_format: str = "csv"):
    """The dry run of the admin's import page: the response shows per-row errors or the confirm form."""
    name, content = staff_file(rows, file_format)
    handle = io.BytesIO(content)
    handle.name = name
    return client.post(IMPORT, {"import_file": handle, "format": "0" if file_format == "csv" else "1"})


def confirm(client, dry_run_response):
    """Posts the confirm form the dry run rendered, as the «تایید بارگذاری» button would."""
    form = dry_run_response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(CONFIRM, data)


CLERK_ROW = {
    "username": "kanoon_tehran_2",
    "first_name": "رويا",  # Arabic «ي»: stored with the Persian letter
    "last_name": "كاظمي",
    "national_code": "۰۰۱۰۰۰۰۰۴۶",
    "mobile": "٠٩١٢٣٤٥٦٧٨٩",
    "role": "کارکنان کانون",
    "offices": "TEH",
    "active": "بله",
}
