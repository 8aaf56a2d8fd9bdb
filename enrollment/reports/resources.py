"""The columns of the exports, as django-import-export resources: Persian headers, one cell per field.

Cells carry Latin digits (codes stay text, so leading zeros survive) and Jalali dates as 1405/09/04 14:30,
which spreadsheets sort and filter as they are.

A resource's fields say what each cell is, for one model instance (`export_resource`). The export of a
million rows does not build instances: each resource also names the plain values its rows are read as
(`rows_columns`, one `values_list` query) and turns such a tuple into the same cells (`plain_row`), with
the labels of choices looked up in dicts made once and each day converted to Jalali once. A test holds
the two renderings equal, cell for cell.
"""

import datetime as dt
from functools import lru_cache

from django.utils import timezone
from import_export import resources
from import_export.fields import Field

from core import jalali
from core.widgets import ChoiceWidget, YesNoWidget
from enrollment.models import Operation, RequestItem, RequestStatus
from policies.models import Relation

# Looked up per row: Django's get_FOO_display() rebuilds its choices dict on every call.
STATUS_LABELS = dict(RequestStatus.choices)
RELATION_LABELS = dict(Relation.choices)
OPERATION_LABELS = dict(Operation.choices)


HAS_NOT = {True: "دارد", False: "ندارد"}
YES_NO = {value: word for word, value in YesNoWidget().choices.items()}


@lru_cache(maxsize=4096)
def _jalali_day(day: dt.date) -> str:
    """A million rows fall on a few hundred days: each is converted once."""
    return jalali.format_date(day, persian=False)


def jalali_datetime(value: dt.datetime | None) -> str:
    """1405/09/04 14:30 in Tehran time, as core.jalali.format_datetime writes it with Latin digits.

    The project's time zone (TIME_ZONE; nothing activates another), looked up once: timezone.localtime()
    asks for the current zone through a thread-local on every call, a fifth of a row's time."""
    if value is None:
        return ""
    local = value.astimezone(timezone.get_default_timezone())
    return f"{_jalali_day(local.date())} {local.hour:02d}:{local.minute:02d}"


class HasNotWidget(ChoiceWidget):
    """A supplementary insurance status as the wizard and the cartable show it."""

    def __init__(self):
        super().__init__({word: value for value, word in HAS_NOT.items()})


class RequestItemExportResource(resources.Resource):
    """The enrollment list: one row per person of a request, with the request and its pensioner."""

    tracking_code = Field(attribute="request__tracking_code", column_name="کد رهگیری")
    request_status = Field(column_name="وضعیت درخواست")
    submitted_at = Field(column_name="زمان ثبت")
    kanoon = Field(attribute="request__kanoon__name", column_name="کانون")
    branch_code = Field(attribute="request__branch__code", column_name="کد شعبه")
    branch = Field(attribute="request__branch__name", column_name="شعبه")
    pensioner_national_code = Field(attribute="request__pensioner__national_code", column_name="کد ملی مستمری‌بگیر")
    pensioner_name = Field(column_name="نام و نام خانوادگی مستمری‌بگیر")
    pension_number = Field(attribute="request__pensioner__pension_number", column_name="شماره مستمری")
    person_national_code = Field(column_name="کد ملی فرد")
    person_name = Field(column_name="نام و نام خانوادگی فرد")
    relation = Field(column_name="نسبت")
    status_before = Field(attribute="status_before", column_name="وضعیت قبلی", widget=HasNotWidget())
    operation = Field(column_name="عملیات")
    status_after = Field(attribute="status_after", column_name="وضعیت جدید", widget=HasNotWidget())

    rows_columns = (
        "request__tracking_code",
        "request__status",
        "request__submitted_at",
        "request__kanoon__name",
        "request__branch__code",
        "request__branch__name",
        "request__pensioner__national_code",
        "request__pensioner__first_name",
        "request__pensioner__last_name",
        "request__pensioner__pension_number",
        "dependent_id",
        "dependent__national_code",
        "dependent__first_name",
        "dependent__last_name",
        "relation",
        "status_before",
        "operation",
        "status_after",
    )

    @staticmethod
    def plain_row(values: tuple) -> list[str]:
        """The cells of one row from its `rows_columns`, as `export_resource` writes them for the item.
        Every text column read here is NOT NULL: its value is the cell as it is."""
        (
            tracking_code,
            status,
            submitted_at,
            kanoon,
            branch_code,
            branch,
            national_code,
            first_name,
            last_name,
            pension_number,
            dependent_id,
            dependent_code,
            dependent_first_name,
            dependent_last_name,
            relation,
            before,
            operation,
            after,
        ) = values
        pensioner_name = f"{first_name} {last_name}"
        if dependent_id is None:
            person_code, person_name = national_code, pensioner_name
        else:
            person_code, person_name = dependent_code, f"{dependent_first_name} {dependent_last_name}"
        return [
            tracking_code,
            STATUS_LABELS[status],
            jalali_datetime(submitted_at),
            kanoon,
            branch_code,
            branch,
            national_code,
            pensioner_name,
            pension_number,
            person_code,
            person_name,
            RELATION_LABELS[relation],
            HAS_NOT.get(before, ""),
            OPERATION_LABELS[operation],
            HAS_NOT.get(after, ""),
        ]

    class Meta:
        name = "فهرست ثبت‌نام و انصراف"

    def dehydrate_request_status(self, item: RequestItem) -> str:
        return STATUS_LABELS[item.request.status]

    def dehydrate_submitted_at(self, item: RequestItem) -> str:
        return jalali_datetime(item.request.submitted_at)

    def dehydrate_pensioner_name(self, item: RequestItem) -> str:
        return item.request.pensioner.full_name

    def dehydrate_person_national_code(self, item: RequestItem) -> str:
        return item.person.national_code

    def dehydrate_person_name(self, item: RequestItem) -> str:
        return item.person.full_name

    def dehydrate_relation(self, item: RequestItem) -> str:
        return RELATION_LABELS[item.relation]

    def dehydrate_operation(self, item: RequestItem) -> str:
        return OPERATION_LABELS[item.operation]


class PensionerRegistryExportResource(resources.Resource):
    """The registry as the admin lists it, with the payroll's supplementary insurance flag."""

    national_code = Field(attribute="national_code", column_name="کد ملی")
    pension_number = Field(attribute="pension_number", column_name="شماره مستمری")
    first_name = Field(attribute="first_name", column_name="نام")
    last_name = Field(attribute="last_name", column_name="نام خانوادگی")
    father_name = Field(attribute="father_name", column_name="نام پدر")
    branch_code = Field(attribute="paying_branch__code", column_name="کد شعبه")
    county = Field(attribute="county__name", column_name="شهرستان")
    is_colleague = Field(attribute="is_colleague", column_name="همکار", widget=YesNoWidget())
    file_active = Field(attribute="file_active", column_name="پرونده فعال", widget=YesNoWidget())
    has_supplementary = Field(attribute="has_supplementary", column_name="بیمه تکمیلی", widget=HasNotWidget())

    rows_columns = (
        "national_code",
        "pension_number",
        "first_name",
        "last_name",
        "father_name",
        "paying_branch__code",
        "county__name",
        "is_colleague",
        "file_active",
        "has_supplementary",
    )

    @staticmethod
    def plain_row(values: tuple) -> list[str]:
        """The cells of one row from its `rows_columns`, as `export_resource` writes them for the pensioner.
        Every text column read here is NOT NULL: its value is the cell as it is."""
        *texts, is_colleague, file_active, has_supplementary = values
        return [
            *texts,
            YES_NO.get(is_colleague, ""),
            YES_NO.get(file_active, ""),
            HAS_NOT.get(has_supplementary, ""),
        ]

    class Meta:
        name = "مستمری‌بگیران"
