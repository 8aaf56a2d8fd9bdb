"""What every admin page of the product shares: Jalali dates in and out, Persian digits and words, and
lists that stay fast on millions of rows."""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers as admin_helpers
from django.contrib.admin import utils as admin_utils
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections, models
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from audit.log import Position, entry_view, page_of
from audit.models import AuditEntry
from audit.render import object_kind
from core import jalali
from core.fixed_urls import fixed_reverse
from core.forms import JalaliDateField, JalaliDateInput, JalaliDateTimeField, JalaliDateTimeInput
from core.text import to_persian_digits


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


# -- what a person reads: Jalali dates, Persian digits and words, staff by name --------------------------

YES_NO_UNKNOWN = {True: "بله", False: "خیر", None: "نامعلوم"}


def persian_display(value: object) -> str | None:
    """How a date, time, number or yes/no reads on an admin page, or None for what the admin shows as it
    is (text, model objects). Datetimes are Tehran time; amounts have thousands separators."""
    if isinstance(value, bool):
        return YES_NO_UNKNOWN[value]
    if isinstance(value, dt.datetime):
        return jalali.format_datetime(value)
    if isinstance(value, dt.date):
        return jalali.format_date(value)
    if isinstance(value, dt.time):
        return to_persian_digits(f"{value:%H:%M}")
    if isinstance(value, int | Decimal | float):
        return to_persian_digits(f"{value:,}".replace(",", "٬").replace(".", "٫"))
    return None


_stock_display_for_field = admin_utils.display_for_field
_stock_display_for_value = admin_utils.display_for_value


def display_for_field(value, field, empty_value_display, avoid_link=False):
    """The admin's read-only fields and list cells of model fields (Django's display_for_field), in Persian."""
    if value is not None and not getattr(field, "flatchoices", None) and not isinstance(field, models.BooleanField):
        shown = persian_display(value)
        if shown is not None:
            return shown
    return _stock_display_for_field(value, field, empty_value_display, avoid_link)


def display_for_value(value, empty_value_display, boolean=False):
    """The admin's cells of computed columns (Django's display_for_value): a bare True reads «بله», not "True"."""
    if not boolean and value is not None:
        shown = persian_display(value)
        if shown is not None:
            return shown
    return _stock_display_for_value(value, empty_value_display, boolean)


def boolean_icon(value: bool | None) -> str:
    """The admin's yes/no icon, its text alternative in Persian (the stock one reads "True")."""
    name = {True: "yes", False: "no", None: "unknown"}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), YES_NO_UNKNOWN[value])


def staff_name(user: AbstractUser) -> str:
    """A staff member as colleagues know them: the full name, the username only while none is recorded."""
    return user.get_full_name() or user.get_username()


def persian_admin_install() -> None:
    """Makes every admin page (ours, simple-history's, auth's, django-q's) show dates in Jalali, numbers
    grouped in Persian digits, yes/no in Persian and staff by full name.

    The admin formats a field through module-level functions (display_for_field, display_for_value,
    _boolean_icon) that no ModelAdmin hook reaches, each imported by name into the modules that use it:
    they are replaced in each. A user reads as str(user) everywhere (page header, history, job owner),
    so that is the full name. Called once, from CoreConfig.ready().
    """
    for module in (admin_utils, admin_helpers, admin_list):
        if hasattr(module, "display_for_field"):
            module.display_for_field = display_for_field
        if hasattr(module, "display_for_value"):
            module.display_for_value = display_for_value
    admin_list._boolean_icon = boolean_icon
    from django.contrib.auth import get_user_model

    get_user_model().__str__ = staff_name


# Text outside tags, character references and the bodies of scripts, styles, form values and code to be
# typed elsewhere as it is (a second factor's key in an authenticator app): what a person reads.
# An identifier typed as it is (a username) is marked <bdi dir="ltr"> and keeps its digits too.
_NOT_TEXT = re.compile(
    r"<(script|style|textarea|code|kbd|samp)\b.*?</\1\s*>|<bdi\b[^>]*\bdir=\"ltr\"[^>]*>.*?</bdi\s*>"
    r"|<!--.*?-->|<[^>]*>|&#?\w+;",
    re.S | re.I,
)
_READ_ALOUD = re.compile(r"""(\s(?:aria-label|title|alt|placeholder)\s*=\s*)("[^"]*"|'[^']*')""", re.I)


def persian_digits_html(html: str) -> str:
    """Every digit a person reads on the page in Persian: text between tags and the attributes shown or read
    aloud. Markup, scripts, styles, form values, code and character references keep theirs."""
    parts, position = [], 0
    for match in _NOT_TEXT.finditer(html):
        parts.append(to_persian_digits(html[position : match.start()]))
        token = match.group(0)
        if token.startswith("<") and not match.group(1) and not token.startswith("<!"):
            token = _READ_ALOUD.sub(lambda m: m.group(1) + to_persian_digits(m.group(2)), token)
        parts.append(token)
        position = match.end()
    parts.append(to_persian_digits(html[position:]))
    return "".join(parts)


class PersianDigitsMiddleware:
    """The admin's pages in Persian digits: data (codes, names with numbers, counts), Django's and jazzmin's
    own texts («۰ از ۱۲ انتخاب شده‌اند», page numbers) alike, without a filter in every template."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(fixed_reverse("admin:index"))
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not response.has_header("Content-Encoding")
        ):
            response.content = persian_digits_html(response.content.decode(response.charset))
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


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
