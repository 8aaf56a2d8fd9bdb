"""The staff page: Django's user admin, scoped to the accounts the administrator manages, in Persian.

Every list, page, action and import goes through staff/selectors.py (`staff_visible_to`): an account out of
scope looks exactly like one that does not exist. Every change goes through staff/accounts.py. Registered
in place of the stock user admin by enrollment/admin.py.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV, XLSX

from core import jalali
from core.admin_tools import PortalModelAdmin
from core.text import to_persian_digits
from enrollment import roles
from enrollment.staff import accounts
from enrollment.staff.forms import PasswordResetForm, ReasonForm, StaffAddForm, StaffChangeForm
from enrollment.staff.resources import StaffResource, template_response
from enrollment.staff.selectors import (
    branch_grants,
    kanoon_grants,
    office_label,
    powers_of,
    province_grants,
    role_label,
    role_of,
    staff_visible_to,
)

_IDENTITY = ("first_name", "last_name", "national_code", "mobile", "email")
_ROLE = ("role", "kanoons", "branches", "province")


class RoleFilter(admin.SimpleListFilter):
    """The six roles, from the code: no query for the filter's choices."""

    title = "نقش"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role, role) for role in roles.ROLES]

    def queryset(self, request, queryset):
        if self.value() in roles.ROLES:
            return queryset.filter(groups__name=self.value())
        return queryset


class ActiveFilter(admin.SimpleListFilter):
    title = "وضعیت حساب"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("1", "فعال"), ("0", "غیرفعال")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(is_active=self.value() == "1")
        return queryset


class StaffUserAdmin(ImportMixin, UserAdmin, PortalModelAdmin):
    form = StaffChangeForm
    add_form = StaffAddForm
    add_form_template = None  # the ordinary change form, not the stock "username and password first" page
    change_form_template = "admin/staff/user_change_form.html"
    import_template_name = "admin/staff/import.html"
    resource_classes = [StaffResource]
    import_formats = [CSV, XLSX]
    list_display = ["login_name", "full_name", "role", "offices", "is_active", "last_login_jalali"]
    list_display_links = ["login_name", "full_name"]
    list_filter = [RoleFilter, ActiveFilter]
    search_fields = ["username__startswith", "first_name__startswith", "last_name__startswith"]
    search_help_text = "نام کاربری، نام یا نام خانوادگی"
    ordering = ["username"]
    readonly_fields = ["username", "last_login_jalali", "date_joined_jalali"]
    filter_horizontal = ()
    actions = ["password_reset_selected", "deactivate_selected", "second_factor_reset_selected"]

    add_fieldsets = [
        (None, {"fields": ["username"]}),
        ("مشخصات", {"fields": list(_IDENTITY)}),
        ("نقش و واحدها", {"fields": list(_ROLE)}),
        (None, {"fields": ["reason"]}),
    ]
    fieldsets = [
        (None, {"fields": ["username", "is_active"]}),
        ("مشخصات", {"fields": list(_IDENTITY)}),
        ("نقش و واحدها", {"fields": list(_ROLE)}),
        ("ورود", {"fields": ["last_login_jalali", "date_joined_jalali"]}),
        (None, {"fields": ["reason"]}),
    ]

    # -- what the user sees ------------------------------------------------------------------------------

    def get_queryset(self, request):
        return staff_visible_to(request.user, super().get_queryset(request)).prefetch_related(
            "groups",
            Prefetch("kanoonuserobjectpermission_set", kanoon_grants().select_related("content_object")),
            Prefetch("branchuserobjectpermission_set", branch_grants().select_related("content_object")),
            Prefetch("provinceuserobjectpermission_set", province_grants().select_related("content_object")),
        )

    @staticmethod
    def _manages_staff(request: HttpRequest) -> bool:
        """Asked many times a page (the sidebar asks every admin): read once per request."""
        if not hasattr(request, "_staff_powers"):
            request._staff_powers = powers_of(request.user)
        return request._staff_powers is not None

    def has_module_permission(self, request) -> bool:
        return self._manages_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._manages_staff(request)

    def has_add_permission(self, request) -> bool:
        return self._manages_staff(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._manages_staff(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts are deactivated, never deleted: the audit log names them

    def has_import_permission(self, request) -> bool:
        return self._manages_staff(request)

    @admin.display(description="نام کاربری", ordering="username")
    def login_name(self, obj: User) -> str:
        """As it is typed at sign-in: Latin digits kept (core.admin_tools.PersianDigitsMiddleware)."""
        return format_html('<bdi dir="ltr">{}</bdi>', obj.username)

    @admin.display(description="نام و نام خانوادگی", ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name() or "-"

    @admin.display(description="نقش")
    def role(self, obj: User) -> str:
        return role_label(role_of(obj))

    @admin.display(description="واحدها")
    def offices(self, obj: User) -> str:
        held = [
            *(grant.content_object for grant in obj.kanoonuserobjectpermission_set.all()),
            *(grant.content_object for grant in obj.branchuserobjectpermission_set.all()),
            *(grant.content_object for grant in obj.provinceuserobjectpermission_set.all()),
        ]
        return "، ".join(office_label(office) for office in held) or "-"

    @admin.display(description="آخرین ورود", ordering="last_login")
    def last_login_jalali(self, obj: User) -> str:
        return jalali.format_datetime(obj.last_login) or "هنوز وارد نشده"

    @admin.display(description="تاریخ ساخت حساب", ordering="date_joined")
    def date_joined_jalali(self, obj: User) -> str:
        return jalali.format_datetime(obj.date_joined) or "-"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    # -- saving through the services ---------------------------------------------------------------------

    def save_form(self, request, form, change):
        data = form.cleaned_data
        reason = data.get("reason", "")
        if not change:
            return accounts.staff_account_create(
                actor=request.user,
                username=data["username"],
                identity=form.identity(),
                role=data["role"],
                offices=form.offices(),
                reason=reason,
            )
        user = form.instance
        accounts.staff_identity_set(actor=request.user, user=user, identity=form.identity(), reason=reason)
        if data.get("role"):
            accounts.staff_role_set(
                actor=request.user, user=user, role=data["role"], offices=form.offices(), reason=reason
            )
        accounts.staff_active_set(actor=request.user, user=user, active=data["is_active"], reason=reason)
        user.refresh_from_db()
        return user

    def save_model(self, request, obj, form, change) -> None:
        """Saved by save_form, through the services."""

    def save_related(self, request, form, formsets, change) -> None:
        """Nothing related is written by the form."""

    def response_add(self, request, obj, post_url_continue=None):
        messages.info(
            request,
            f"حساب «{obj.username}» ساخته شد و هنوز رمزی ندارد: با «بازنشانی رمز» یک رمز یک‌بار مصرف به او بدهید.",
        )
        return HttpResponseRedirect(reverse("admin:auth_user_change", args=[obj.pk]))

    # -- password and second factor ----------------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<id>/second-factor/",
                self.admin_site.admin_view(self.second_factor_reset_view),
                name="auth_user_second_factor_reset",
            ),
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name="auth_user_import_template",
            ),
        ]
        return own + super().get_urls()

    def _account_or_404(self, request: HttpRequest, object_id: str) -> User:
        """Permission first, then the scoped lookup: out of scope and missing answer the same."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404("چنین حسابی پیدا نشد.")
        return user

    @method_decorator(never_cache)
    @method_decorator(require_http_methods(["GET", "HEAD", "POST"]))
    def user_change_password(self, request, id, form_url=""):
        """Resetting a password: a one-time password shown once, or one the administrator types."""
        user = self._account_or_404(request, id)
        form = PasswordResetForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                password = accounts.staff_password_reset(
                    actor=request.user, user=user, password=form.password(), reason=form.cleaned_data["reason"]
                )
            except accounts.StaffRefused as refused:
                messages.error(request, str(refused))
                return HttpResponseRedirect(request.get_full_path())
            self.log_change(request, user, "بازنشانی رمز عبور")
            return self._passwords_shown(request, [(user, password if form.password() is None else None)])
        context = {
            **self.admin_site.each_context(request),
            "title": f"بازنشانی رمز «{user.username}»",
            "subtitle": None,
            "form": form,
            "account": user,
            "opts": self.opts,
            "original": user,
        }
        return TemplateResponse(request, "admin/staff/password_reset.html", context)

    def _passwords_shown(self, request: HttpRequest, given: list[tuple[User, str | None]]) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "رمزهای تازه",
            "subtitle": None,
            "opts": self.opts,
            "given": given,
        }
        response = TemplateResponse(request, "admin/staff/passwords_shown.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @method_decorator(never_cache)
    @method_decorator(require_http_methods(["GET", "HEAD", "POST"]))
    def second_factor_reset_view(self, request, id):
        user = self._account_or_404(request, id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                removed = accounts.staff_second_factor_reset(
                    actor=request.user, user=user, reason=form.cleaned_data["reason"]
                )
            except accounts.StaffRefused as refused:
                messages.error(request, str(refused))
            else:
                self.log_change(request, user, "بازنشانی رمز دوم")
                messages.success(
                    request,
                    f"رمز دوم «{user.username}» بازنشانی شد ({to_persian_digits(removed)} دستگاه حذف شد); "
                    "در ورود بعدی، برنامه تازه را فعال می‌کند.",
                )
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"بازنشانی رمز دوم «{user.username}»",
            "subtitle": None,
            "form": form,
            "account": user,
            "opts": self.opts,
            "original": user,
        }
        return TemplateResponse(request, "admin/staff/second_factor_reset.html", context)

    def import_template_view(self, request):
        """The header row to fill in, as ?format=csv or ?format=xlsx."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        file_format = request.GET.get("format", "csv")
        if file_format not in ("csv", "xlsx"):
            raise Http404
        return template_response(file_format)

    # -- actions: a service per account, the outcome per account -------------------------------------------

    @admin.action(description="ساخت رمز یک‌بار مصرف برای حساب‌های انتخاب‌شده")
    def password_reset_selected(self, request, queryset):
        given = []
        for user in queryset:
            try:
                given.append((user, accounts.staff_password_reset(actor=request.user, user=user)))
            except accounts.StaffRefused as refused:
                messages.error(request, f"«{user.username}»: {refused}")
            else:
                self.log_change(request, user, "بازنشانی رمز عبور")
        if not given:
            return None
        return self._passwords_shown(request, given)

    @admin.action(description="غیرفعال کردن حساب‌های انتخاب‌شده")
    def deactivate_selected(self, request, queryset):
        for user in queryset:
            try:
                changed = accounts.staff_active_set(actor=request.user, user=user, active=False)
            except accounts.StaffRefused as refused:
                messages.error(request, f"«{user.username}»: {refused}")
                continue
            if changed:
                self.log_change(request, user, "غیرفعال شد")
                messages.success(request, f"حساب «{user.username}» غیرفعال شد.")
            else:
                messages.info(request, f"حساب «{user.username}» پیش‌تر غیرفعال بود.")

    @admin.action(description="بازنشانی رمز دوم حساب‌های انتخاب‌شده")
    def second_factor_reset_selected(self, request, queryset):
        for user in queryset:
            try:
                removed = accounts.staff_second_factor_reset(actor=request.user, user=user)
            except accounts.StaffRefused as refused:
                messages.error(request, f"«{user.username}»: {refused}")
                continue
            self.log_change(request, user, "بازنشانی رمز دوم")
            messages.success(
                request, f"رمز دوم «{user.username}» بازنشانی شد ({to_persian_digits(removed)} دستگاه حذف شد)."
            )

    # -- the file import ---------------------------------------------------------------------------------

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "actor": request.user}

    def get_import_context_data(self, **kwargs):
        return {**super().get_import_context_data(**kwargs), "template_formats": ["csv", "xlsx"]}

    def add_success_message(self, result, request) -> None:
        if result.has_errors() or result.has_validation_errors():
            messages.error(request, "هیچ ردیفی وارد نشد: فایل دیگر بدون خطا نیست؛ آن را دوباره بارگذاری کنید.")
            return
        totals = {kind: to_persian_digits(count) for kind, count in result.totals.items()}
        messages.success(
            request,
            f"ورود فایل انجام شد: {totals['new']} حساب تازه، {totals['update']} به‌روزرسانی، "
            f"{totals['skip']} بدون تغییر. حساب‌های تازه رمز ندارند: آن‌ها را انتخاب کنید و "
            "«ساخت رمز یک‌بار مصرف» را بزنید.",
        )


admin.site.unregister(User)  # django.contrib.auth's own, registered before ours (INSTALLED_APPS order)
admin.site.register(User, StaffUserAdmin)
