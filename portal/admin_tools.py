"""What every admin page of the product shares: Jalali dates in and out, and lists that stay fast
on millions of rows."""

from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections, models
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from portal import jalali
from portal.forms import JalaliDateField, JalaliDateInput, JalaliDateTimeField, JalaliDateTimeInput


class CappedCountPaginator(Paginator):
    """Counts at most ADMIN_COUNT_CAP rows of a filtered list; an unfiltered list on PostgreSQL takes
    the planner's estimate of the table's size. Either way no page pays for COUNT(*) over millions.

    Pages stop where the cap does: OFFSET grows linearly, so deep pages are left to filters and search.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        cap = settings.ADMIN_COUNT_CAP
        if not queryset.query.where and not queryset.query.distinct:
            estimate = _estimated_rows(queryset.model, queryset.db)
            if estimate > cap:
                return estimate
        # Without ORDER BY the capped count can stop at any cap + 1 rows instead of walking an index.
        return queryset.order_by()[: cap + 1].count()

    @cached_property
    def num_pages(self) -> int:
        reachable = -(-settings.ADMIN_COUNT_CAP // self.per_page)
        return min(super().num_pages, max(reachable, 1))


def _estimated_rows(model: type[models.Model], using: str) -> int:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def jalali_column(field: str, description: str, *, with_time: bool = False) -> Callable:
    """A list_display / readonly column that shows a date (or datetime) field in Jalali."""
    formatter = jalali.format_datetime if with_time else jalali.format_date

    @admin.display(description=description, ordering=field)
    def column(model_admin, obj):
        return formatter(getattr(obj, field)) or "-"

    column.__name__ = f"{field}_jalali"
    return column


class PortalModelAdmin(admin.ModelAdmin):
    """The base of every ModelAdmin here: Jalali date inputs, counts that stay cheap."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # Both keys: the admin merges these into its defaults, which would keep its Gregorian widgets.
    formfield_overrides = {
        models.DateTimeField: {"form_class": JalaliDateTimeField, "widget": JalaliDateTimeInput},
        models.DateField: {"form_class": JalaliDateField, "widget": JalaliDateInput},
    }


class PortalTabularInline(admin.TabularInline):
    formfield_overrides = PortalModelAdmin.formfield_overrides
    extra = 0


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's history page, but only for objects the user's scoped queryset contains.

    Upstream falls back to the latest historical record when the object is not in the queryset,
    which would show an out-of-scope object's history; here out of scope looks like "does not exist".
    """

    def history_view(self, request, object_id, extra_context=None):
        if not self.get_queryset(request).filter(pk=admin.utils.unquote(object_id)).exists():
            raise Http404
        return super().history_view(request, object_id, extra_context)
