"""List filters of the cartables. Every one has static or small-table lookups: none runs SELECT DISTINCT
over the requests."""

import datetime as dt

from django.contrib import admin, messages
from django.db.models import F
from django.utils import timezone

from core import jalali
from enrollment import selectors


class JalaliDateRangeFilter(admin.ListFilter):
    """Submitted between two Jalali dates, typed in any digit script (either end may be left empty)."""

    title = "تاریخ ثبت"
    template = "admin/enrollment/jalali_range_filter.html"
    field_path = "submitted"
    start_param, end_param = "submitted_from", "submitted_to"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.typed: dict[str, str] = {}
        self.bounds: dict[str, dt.date] = {}
        for name in (self.start_param, self.end_param):
            if name not in params:
                continue
            value = params.pop(name)
            value = value[-1] if isinstance(value, list) else value
            self.used_parameters[name] = value
            self.typed[name] = value
            if value.strip():
                try:
                    self.bounds[name] = jalali.parse_date(value)
                except jalali.JalaliParseError as error:
                    messages.warning(request, f"{self.title}: {error}")

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.start_param, self.end_param]

    def choices(self, changelist):
        yield {
            "start_name": self.start_param,
            "end_name": self.end_param,
            "start": self.typed.get(self.start_param, ""),
            "end": self.typed.get(self.end_param, ""),
        }

    def queryset(self, request, queryset):
        if self.start_param in self.bounds:
            queryset = queryset.filter(submitted_at__gte=_day_start(self.bounds[self.start_param]))
        if self.end_param in self.bounds:
            queryset = queryset.filter(submitted_at__lt=_day_start(self.bounds[self.end_param] + dt.timedelta(days=1)))
        return queryset


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RequestTypeFilter(admin.SimpleListFilter):
    """The central pension system's request-type filter (point 10). This service files one type only, so
    choosing it narrows nothing; it is here because branch staff look for it by this name."""

    title = "نوع درخواست"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [("supplementary", "عضویت بیمه تکمیلی")]

    def queryset(self, request, queryset):
        return queryset


class OperationFilter(admin.SimpleListFilter):
    title = "عملیات"
    parameter_name = "operation"

    def lookups(self, request, model_admin):
        return [("enroll", "فقط ثبت‌نام"), ("withdraw", "فقط انصراف"), ("both", "ثبت‌نام و انصراف")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "enroll":
            return queryset.filter(enroll_count__gt=0, withdraw_count=0)
        if value == "withdraw":
            return queryset.filter(withdraw_count__gt=0, enroll_count=0)
        if value == "both":
            return queryset.filter(enroll_count__gt=0, withdraw_count__gt=0)
        return queryset


class PersonsFilter(admin.SimpleListFilter):
    title = "تعداد افراد"
    parameter_name = "persons"

    def lookups(self, request, model_admin):
        return [("1", "۱ نفر"), ("2", "۲ نفر"), ("3", "۳ نفر"), ("4", "۴ نفر و بیشتر")]

    def queryset(self, request, queryset):
        if self.value() not in {"1", "2", "3", "4"}:
            return queryset
        persons = queryset.alias(persons=F("enroll_count") + F("withdraw_count"))
        if self.value() == "4":
            return persons.filter(persons__gte=4)
        return persons.filter(persons=int(self.value()))


class BranchFilter(admin.SimpleListFilter):
    """Lookups are the branches in the user's scope: a few rows for branch staff."""

    title = "شعبه"
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        return selectors.filter_choices_for(request.user)["branches"]

    def queryset(self, request, queryset):
        return queryset.filter(branch_id=self.value()) if (self.value() or "").isdigit() else queryset


class CountyFilter(admin.SimpleListFilter):
    title = "شهرستان"
    parameter_name = "county"

    def lookups(self, request, model_admin):
        return selectors.filter_choices_for(request.user)["counties"]

    def queryset(self, request, queryset):
        return queryset.filter(kanoon__county_id=self.value()) if (self.value() or "").isdigit() else queryset
