"""The columns of the exports, as django-import-export resources: Persian headers, one cell per field.

Cells carry Latin digits (codes stay text, so leading zeros survive) and Jalali dates as 1405/09/04 14:30,
which spreadsheets sort and filter as they are. Each resource names what its columns read
(`rows_select_related`, `rows_only`): the export loads exactly that in its one query, so a column that
reached for anything else would cost a query per row (the query-count test catches it).
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


@lru_cache(maxsize=4096)
def _jalali_day(day: dt.date) -> str:
    """A million rows fall on a few hundred days: each is converted once."""
    return jalali.format_date(day, persian=False)


def jalali_datetime(value: dt.datetime | None) -> str:
    """1405/09/04 14:30 in Tehran time, as core.jalali.format_datetime writes it with Latin digits."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{_jalali_day(local.date())} {local:%H:%M}"


class HasNotWidget(ChoiceWidget):
    """A supplementary insurance status as the wizard and the cartable show it."""

    def __init__(self):
        super().__init__({"دارد": True, "ندارد": False})


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

    rows_select_related = ("request__pensioner", "request__kanoon", "request__branch", "dependent")
    rows_only = (
        "relation",
        "status_before",
        "operation",
        "status_after",
        "request__tracking_code",
        "request__status",
        "request__submitted_at",
        "request__kanoon__name",
        "request__branch__code",
        "request__branch__name",
        "request__pensioner__national_code",
        "request__pensioner__pension_number",
        "request__pensioner__first_name",
        "request__pensioner__last_name",
        "dependent__national_code",
        "dependent__first_name",
        "dependent__last_name",
    )

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

    rows_select_related = ("paying_branch", "county")
    rows_only = (
        "national_code",
        "pension_number",
        "first_name",
        "last_name",
        "father_name",
        "is_colleague",
        "file_active",
        "has_supplementary",
        "paying_branch__code",
        "county__name",
    )

    class Meta:
        name = "مستمری‌بگیران"
