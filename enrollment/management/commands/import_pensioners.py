"""python manage.py import_pensioners FILE [--dry-run] [--user USERNAME]: the registry extract from the command line.

The same resource as the admin's import page: all or nothing, Persian errors per row. Row numbers are the
admin's too: row 1 is the first row under the header line.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.management.base import BaseCommand, CommandError
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Result

from core.text import to_persian_digits
from enrollment.resources import PensionerResource

FORMATS = {".csv": CSV, ".xlsx": XLSX}


class Command(BaseCommand):
    help = (
        "ورود مستمری‌بگیران از فایل CSV یا XLSX سامانه متمرکز مستمری. "
        "اگر حتی یک ردیف خطا داشته باشد هیچ ردیفی وارد نمی‌شود."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="فایل ‎.csv (UTF-8، با یا بدون BOM) یا ‎.xlsx")
        parser.add_argument("--dry-run", action="store_true", help="فقط بررسی؛ چیزی ذخیره نمی‌شود")
        parser.add_argument("--user", help="نام کاربری که ورود به نام او در تاریخچه ثبت می‌شود")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        file_format = FORMATS.get(file.suffix.lower())
        if file_format is None:
            raise CommandError("فقط فایل ‎.csv یا ‎.xlsx پذیرفته می‌شود.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"فایل خوانده نشد: {error}") from error
        dataset = file_format(encoding="utf-8-sig").create_dataset(data)

        result = PensionerResource().import_data(dataset, dry_run=dry_run, user=_user(user), file_name=file.name)

        problems = _problems(result)
        for line in problems:
            self.stderr.write(line)
        totals = {kind: to_persian_digits(count) for kind, count in result.totals.items()}
        self.stdout.write(
            f"جدید: {totals['new']}، به‌روزرسانی: {totals['update']}، بدون تغییر: {totals['skip']}، "
            f"ردیف‌های دارای خطا: {to_persian_digits(_rows_with_errors(result))}"
        )
        if problems:
            raise CommandError("هیچ ردیفی وارد نشد؛ خطاهای بالا را در فایل درست کنید و دوباره اجرا کنید.")
        self.stdout.write("بررسی آزمایشی بدون خطا بود؛ چیزی ذخیره نشد." if dry_run else "ورود فایل انجام شد.")


def _user(username: str | None):
    if username is None:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"کاربری با نام «{username}» نیست.") from None


def _rows_with_errors(result: Result) -> int:
    return result.totals["error"] + result.totals["invalid"]


def _problems(result: Result) -> list[str]:
    """Every error in Persian, file-wide ones first, then by row number."""
    lines = [f"خطای فایل: {error.error}" for error in result.base_errors]
    by_row: list[tuple[int, str]] = []
    for row in result.invalid_rows:
        for column, messages in row.error_dict.items():
            label = "" if column == NON_FIELD_ERRORS else f"{column}: "
            by_row.extend((row.number, f"{label}{message}") for message in messages)
    for row in result.error_rows:
        by_row.extend((row.number, str(error.error)) for error in row.errors)
    lines += [
        f"ردیف {to_persian_digits(number)} - {message}" for number, message in sorted(by_row, key=lambda item: item[0])
    ]
    return lines
