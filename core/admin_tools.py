"""What every admin page of the product shares: Jalali dates in and out, and lists that stay fast
on millions of rows."""

from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections, models
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from audit.log import Position, entry_view, page_of
from audit.models import AuditEntry
from audit.render import object_kind
from core import jalali
from core.forms import JalaliDateField, JalaliDateInput, JalaliDateTimeField, JalaliDateTimeInput


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


class ScopedChoicesMixin:
    """A foreign key offers, and accepts, only what the related model's own admin shows the user.

    The admin validates a submitted id against the related model's whole table (autocomplete and raw-id
    widgets included), so a crafted POST could point a row at another county's pensioner or branch.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if related_admin is not None and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """A page to read, never to write: no add, change or delete whatever the user's permissions (the view
    permission alone opens it). For what only the product's services write: documents, SMS, jobs."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PortalModelAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """The base of every ModelAdmin here: Jalali date inputs, counts that stay cheap, scoped choices."""

    paginator = CappedCountPaginator
    show_full_result_count = False

    list_per_page = 50
    # Both keys: the admin merges these into its defaults, which would keep its Gregorian widgets.
    formfield_overrides = {
        models.DateTimeField: {"form_class": JalaliDateTimeField, "widget": JalaliDateTimeInput},
        models.DateField: {"form_class": JalaliDateField, "widget": JalaliDateInput},
    }

    def history_view(self, request, object_id, extra_context=None):
        """Permission first: the stock page answers "does not exist" for a missing id but 403 for an
        existing one the user may not see, which tells which ids exist."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


class PortalTabularInline(ScopedChoicesMixin, admin.TabularInline):
    formfield_overrides = PortalModelAdmin.formfield_overrides
    extra = 0


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's history pages, but only for objects the user's scoped queryset contains, and
    each past version for reading only.

    Upstream falls back to the latest historical record when the object is not in the queryset, and
    its per-version page loads the version from the whole history table and saves a POSTed form with
    nothing more than the view permission; here out of scope looks like "does not exist" and no
    version page writes: changes go through the change form or the workflow, with their own checks.
    """

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return history_page(self, request, object_id)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        self._in_scope_or_404(request, object_id)
        request._history_version_page = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if getattr(request, "_history_version_page", False):
            model_fields = [f.name for f in self.model._meta.concrete_fields if f.editable and not f.primary_key]
            readonly += [name for name in model_fields if name not in readonly]
        return readonly

    def _in_scope_or_404(self, request, object_id) -> None:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied  # before the lookup, so that the answer is the same for every id
        if not self.get_queryset(request).filter(pk=admin.utils.unquote(object_id)).exists():
            raise Http404


# -- an object's history page, in the audit log's words ----------------------------------------------


def history_page(model_admin: admin.ModelAdmin, request, object_id: str) -> TemplateResponse:
    """The object's changes as the audit log tells them (audit.log): Jalali times, names, labels, old → new,
    the reason, and a link to each version; newest first, in keyset pages. The caller checked the scope."""
    obj = model_admin.get_queryset(request).get(pk=admin.utils.unquote(object_id))
    entries = AuditEntry.objects.filter(object_kind=object_kind(model_admin.model), object_id=str(obj.pk))
    before, after = Position.parse(request.GET.get("older")), Position.parse(request.GET.get("newer"))
    page = page_of(entries, before=before, after=after)
    label = obj.audit_facts().label if hasattr(obj, "audit_facts") else str(obj)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"تاریخچه تغییرات {label}",
        "opts": model_admin.model._meta,
        "object": obj,
        "rows": [entry_view(entry) for entry in page.entries],
        "one_object": True,
        "newer_url": f"?newer={page.newer.token()}" if page.newer else "",
        "older_url": f"?older={page.older.token()}" if page.older else "",
        "first_url": "?" if page.newer else "",
    }
    return TemplateResponse(request, "admin/audit/object_history.html", context)
