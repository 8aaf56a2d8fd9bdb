"""The pensioner registry as the central pension system extracts it (CSV or XLSX), for django-import-export.

A file is all or nothing: any row error — a bad national code, an unknown branch, a national code twice
in the file — rolls the whole import back, whoever runs it (admin, command, test). Rows equal to the
database are skipped, so importing the same file again changes nothing and writes no history.
`has_supplementary` is not a column: the payroll flag changes only through accepted requests.
"""

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field
from tablib import Dataset

from core.identity import normalize_mobile
from core.importing import AllOrNothingImport, blank_rows_drop
from core.text import normalize_digits_only, normalize_text, to_persian_digits
from core.widgets import (
    ChoiceWidget,
    CodeLookupWidget,
    JalaliDateWidget,
    NationalCodeWidget,
    NormalizedTextWidget,
    YesNoWidget,
)
from enrollment.models import Branch, County, Gender, Pensioner
from enrollment.selectors import Scope

IMPORT_REASON = "ورود از فایل سامانه متمرکز مستمری"
# Existing pensioners and pension numbers are read this many rows of the file at a time.
ROWS_PER_QUERY = 1000


def import_reason(file_name: str | None) -> str:
    """The history_change_reason of an imported row (simple-history keeps 100 characters)."""
    return (f"{IMPORT_REASON}: {file_name}" if file_name else IMPORT_REASON)[:100]


class PensionerResource(AllOrNothingImport, resources.ModelResource):
    national_code = Field(attribute="national_code", column_name="کد ملی", widget=NationalCodeWidget())
    pension_number = Field(
        attribute="pension_number", column_name="شماره مستمری", widget=NormalizedTextWidget(normalize_digits_only)
    )
    first_name = Field(attribute="first_name", column_name="نام", widget=NormalizedTextWidget())
    last_name = Field(attribute="last_name", column_name="نام خانوادگی", widget=NormalizedTextWidget())
    father_name = Field(attribute="father_name", column_name="نام پدر", widget=NormalizedTextWidget())
    birth_date = Field(attribute="birth_date", column_name="تاریخ تولد", widget=JalaliDateWidget())
    gender = Field(
        attribute="gender", column_name="جنسیت", widget=ChoiceWidget({label: value for value, label in Gender.choices})
    )
    mobile = Field(attribute="mobile", column_name="تلفن همراه", widget=NormalizedTextWidget(normalize_mobile))
    paying_branch = Field(
        attribute="paying_branch_id",
        column_name="کد شعبه",
        widget=CodeLookupWidget(Branch, "شعبه‌ای با کد «{code}» پیدا نشد."),
    )
    county = Field(
        attribute="county_id",
        column_name="کد شهرستان",
        widget=CodeLookupWidget(County, "شهرستانی با کد «{code}» پیدا نشد."),
    )
    is_colleague = Field(attribute="is_colleague", column_name="همکار", widget=YesNoWidget())
    file_active = Field(attribute="file_active", column_name="پرونده فعال", widget=YesNoWidget())

    class Meta:
        model = Pensioner
        name = "مستمری‌بگیران (فایل سامانه متمرکز مستمری)"
        fields = (
            "national_code",
            "pension_number",
            "first_name",
            "last_name",
            "father_name",
            "birth_date",
            "gender",
            "mobile",
            "paying_branch",
            "county",
            "is_colleague",
            "file_active",
        )
        import_id_fields = ("national_code",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    # Resolved from the code maps of the widgets, never with a query per row.
    CHECKED_BY_LOOKUP = ("paying_branch", "county")
    OUT_OF_SCOPE = "این مستمری‌بگیر در حوزه کاری شما نیست؛ ردیف‌های شهرستان‌ها و شعب دیگر را از فایل حذف کنید."

    def __init__(self, *, scope: Scope | None = None, **kwargs):
        """`scope`: the importing user's offices (selectors.scope_of); None for those who see every office."""
        super().__init__(**kwargs)
        self.scope = scope

    def before_import(self, dataset: Dataset, **kwargs) -> None:
        if dataset.headers:
            dataset.headers = [normalize_text(h) if isinstance(h, str) else h for h in dataset.headers]
        blank_rows_drop(dataset)
        for name in self.CHECKED_BY_LOOKUP:
            self.fields[name].widget.load()
        self._codes = self._cleaned_column(dataset, "national_code")
        self._pension_numbers = self._cleaned_column(dataset, "pension_number")
        self._existing: dict[str, Pensioner] = {}
        self._pension_owners: dict[str, str] = {}
        self._first_row_of_code: dict[str, int] = {}
        self._holder_of_pension_number: dict[str, str] = {}
        headers = dataset.headers or []
        missing = [field.column_name for field in self.get_import_fields() if field.column_name not in headers]
        if missing:
            del dataset[:]  # rows without their columns would only repeat this one error, row after row
            raise ValueError("این ستون‌ها در فایل نیست: " + "، ".join(f"«{column}»" for column in missing))

    def _cleaned_column(self, dataset: Dataset, name: str) -> list[str]:
        field = self.fields[name]
        if field.column_name not in (dataset.headers or []):
            return []
        return [field.widget.clean(value) for value in dataset[field.column_name]]

    def before_import_row(self, row, **kwargs) -> None:
        index = kwargs["row_number"] - 1
        if index % ROWS_PER_QUERY == 0:
            self._load_window(index)

    def _load_window(self, start: int) -> None:
        """The pensioners and pension-number holders of the next ROWS_PER_QUERY rows, in two queries."""
        codes = {code for code in self._codes[start : start + ROWS_PER_QUERY] if code}
        numbers = {number for number in self._pension_numbers[start : start + ROWS_PER_QUERY] if number}
        queryset = self.get_queryset().order_by()
        self._existing = {p.national_code: p for p in queryset.filter(national_code__in=codes)} if codes else {}
        self._pension_owners = (
            dict(queryset.filter(pension_number__in=numbers).values_list("pension_number", "national_code"))
            if numbers
            else {}
        )

    def get_instance(self, instance_loader, row) -> Pensioner | None:
        field = self.fields["national_code"]
        if field.column_name not in row:
            return None
        return self._existing.get(field.clean(row))

    def import_instance(self, instance: Pensioner, row, **kwargs) -> None:
        errors: dict = {}
        was_in_scope = instance.pk is None or self._in_scope(instance)
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not (was_in_scope and self._in_scope(instance)):
            errors = ValidationError({"national_code": self.OUT_OF_SCOPE}).update_error_dict(errors)
        conflicts = dict(self._conflicts(instance, kwargs["row_number"]))
        if conflicts:
            errors = ValidationError(conflicts).update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _in_scope(self, instance: Pensioner) -> bool:
        """The rule of selectors.pensioners_visible_to: the pensioner's county or paying branch is the user's."""
        if self.scope is None:
            return True
        return instance.county_id in self.scope.county_ids or instance.paying_branch_id in self.scope.branch_ids

    def _conflicts(self, instance: Pensioner, row_number: int) -> Iterator[tuple[str, str]]:
        """The same national code twice in the file; a pension number held by another national code."""
        code, number = instance.national_code, instance.pension_number
        if code:
            first = self._first_row_of_code.setdefault(code, row_number)
            if first != row_number:
                yield (
                    "national_code",
                    f"کد ملی تکراری در فایل: {to_persian_digits(code)} (همان کد ملی ردیف {to_persian_digits(first)})",
                )
        if number:
            holders = (self._holder_of_pension_number.setdefault(number, code), self._pension_owners.get(number, code))
            other = next((holder for holder in holders if holder != code), None)
            if other:
                yield (
                    "pension_number",
                    f"شماره مستمری {to_persian_digits(number)} متعلق به کد ملی دیگری است: {to_persian_digits(other)}",
                )

    def validate_instance(self, instance: Pensioner, import_validation_errors=None, validate_unique=True) -> None:
        """The model's own validation (Persian messages of core.identity), shown under Persian headers.

        Uniqueness is already settled without a query per row: the national code by the lookup of existing
        pensioners and the duplicate check, the pension number by `_conflicts`; branch and county by the
        code maps.
        """
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=[*errors, *self.CHECKED_BY_LOOKUP], validate_unique=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError({self._column_of(key): messages for key, messages in errors.items()})

    def _column_of(self, key: str) -> str:
        for name, field in self.fields.items():
            if key in (name, field.attribute):
                return field.column_name
        return key

    def before_save_instance(self, instance: Pensioner, row, **kwargs) -> None:
        user = kwargs.get("user")
        if user is not None and user.is_authenticated:
            instance._history_user = user
        instance._change_reason = import_reason(kwargs.get("file_name"))

    def after_import(self, dataset, result, **kwargs) -> None:
        """Nothing: ModelResource resets the id sequence here, needed only when ids come from the file (they
        never do) and unsafe while other transactions insert pensioners."""
