"""The registry pages of the operators' admin. Every queryset passes through enrollment.selectors."""

from django.contrib import admin, messages
from django.db.models import Q
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV, XLSX

from core.admin_tools import PortalModelAdmin, PortalTabularInline, ScopedHistoryAdmin, jalali_column
from core.identity import normalize_national_code
from core.text import normalize_text, to_persian_digits
from enrollment import bulk_admin, cartable, selectors  # noqa: F401  (they register the request and bulk job admins)
from enrollment.models import Branch, County, Dependent, Kanoon, Pensioner, Province
from enrollment.reports.admin import EXPORT_ACTION, ScopedExportMixin
from enrollment.reports.models import ExportKind
from enrollment.resources import PensionerResource
from enrollment.staff import admin as staff_admin  # noqa: F401  (registers the staff page in place of auth's)


class NormalizedSearchMixin:
    """Search terms typed in Persian/Arabic digits or Arabic letters still find the row."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalize_text(search_term))


class ProvinceListFilter(admin.SimpleListFilter):
    """Province as a filter: the lookups come from the 31-row province table, never from the list, and only
    the provinces the user works in (a province manager: their own)."""

    title = "استان"
    parameter_name = "province"
    field_path = "county__province"

    def lookups(self, request, model_admin):
        provinces = selectors.provinces_visible_to(request.user).order_by("name")
        return [(str(pk), name) for pk, name in provinces.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


class OfficeProvinceFilter(ProvinceListFilter):
    field_path = "province"


@admin.register(Province)
class ProvinceAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name__startswith", "code__exact"]

    def get_queryset(self, request):
        return selectors.provinces_visible_to(request.user)


@admin.register(County)
class CountyAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["name", "code", "province"]
    list_select_related = ["province"]
    list_filter = [OfficeProvinceFilter]
    search_fields = ["name__startswith", "code__exact"]
    autocomplete_fields = ["province"]

    def get_queryset(self, request):
        return selectors.counties_of(request.user).select_related("province")


@admin.register(Kanoon)
class KanoonAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["name", "county", "phone"]
    list_select_related = ["county"]
    search_fields = ["name__contains", "county__name__startswith"]
    autocomplete_fields = ["county"]

    def get_queryset(self, request):
        return selectors.kanoons_of(request.user).select_related("county")


@admin.register(Branch)
class BranchAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["code", "name", "province", "phone"]
    list_select_related = ["province"]
    list_filter = [OfficeProvinceFilter]
    search_fields = ["code__exact", "name__contains"]
    autocomplete_fields = ["province"]

    def get_queryset(self, request):
        return selectors.branches_of(request.user).select_related("province")


class DependentInline(PortalTabularInline):
    model = Dependent
    fields = [
        "national_code",
        "first_name",
        "last_name",
        "relation",
        "gender",
        "birth_date",
        "guardianship_end",
        "covered_elsewhere",
        "has_supplementary",
    ]


@admin.register(Pensioner)
class PensionerAdmin(ImportMixin, ScopedExportMixin, NormalizedSearchMixin, ScopedHistoryAdmin, PortalModelAdmin):
    list_display = [
        "national_code",
        "full_name",
        "pension_number",
        "paying_branch",
        "county",
        "is_colleague",
        "file_active",
        "has_supplementary",
    ]
    list_select_related = ["paying_branch", "county"]
    list_filter = [ProvinceListFilter, "is_colleague", "file_active", "has_supplementary", "gender"]
    # Exact and prefix lookups, not Django's "=" and "^" (UPPER() on both sides, so no index); Persian has no case.
    search_fields = ["national_code__exact", "pension_number__exact", "last_name__startswith"]
    autocomplete_fields = ["paying_branch", "county"]
    inlines = [DependentInline]
    fieldsets = [
        (
            "مشخصات",
            {"fields": ["national_code", "pension_number", "first_name", "last_name", "father_name", "birth_date"]},
        ),
        (None, {"fields": ["gender", "mobile"]}),
        ("پرونده مستمری", {"fields": ["paying_branch", "county", "is_colleague", "file_active"]}),
        ("نحوه پرداخت", {"fields": ["has_supplementary"]}),
    ]
    resource_classes = [PensionerResource]
    import_formats = [CSV, XLSX]
    import_template_name = "admin/enrollment/pensioner/import.html"
    actions = [EXPORT_ACTION]
    export_kind = ExportKind.PENSIONERS

    @admin.display(description="نام و نام خانوادگی", ordering="last_name")
    def full_name(self, obj: Pensioner) -> str:
        return obj.full_name

    def get_queryset(self, request):
        return selectors.pensioners_visible_to(request.user, super().get_queryset(request))

    def get_import_resource_kwargs(self, request, **kwargs):
        """Rows are imported only inside the importing user's scope (a province manager: their province)."""
        scope = None if selectors.user_sees_all(request.user) else selectors.scope_of(request.user)
        return {**super().get_import_resource_kwargs(request, **kwargs), "scope": scope}

    def has_import_permission(self, request) -> bool:
        """import-export lets every staff user import unless IMPORT_EXPORT_IMPORT_PERMISSION_CODE is set; an
        import adds and changes pensioners, so it takes both permissions."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    def add_success_message(self, result, request) -> None:
        if result.has_errors() or result.has_validation_errors():
            # The file was clean in the dry run, but the registry changed before the confirmation.
            messages.error(request, "هیچ ردیفی وارد نشد: فایل دیگر بدون خطا نیست؛ آن را دوباره بارگذاری کنید.")
            return
        totals = {kind: to_persian_digits(count) for kind, count in result.totals.items()}
        messages.success(
            request,
            f"ورود فایل انجام شد: {totals['new']} مستمری‌بگیر جدید، {totals['update']} به‌روزرسانی، "
            f"{totals['skip']} بدون تغییر.",
        )

    def get_search_results(self, request, queryset, search_term):
        code = normalize_national_code(search_term)
        if code.isdigit() and len(code) == 10:
            return queryset.filter(national_code=code), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Dependent)
class DependentAdmin(NormalizedSearchMixin, ScopedHistoryAdmin, PortalModelAdmin):
    list_display = [
        "national_code",
        "full_name",
        "relation",
        "pensioner",
        "birth_date_jalali",
        "guardianship_end_jalali",
        "has_supplementary",
    ]
    list_select_related = ["pensioner"]
    list_filter = ["relation", "has_supplementary", "covered_elsewhere"]
    search_fields = ["national_code__exact", "pensioner__last_name__startswith"]
    search_help_text = "کد ملی فرد تبعی یا مستمری‌بگیر، یا نام خانوادگی مستمری‌بگیر"
    autocomplete_fields = ["pensioner"]

    birth_date_jalali = jalali_column("birth_date", "تاریخ تولد")
    guardianship_end_jalali = jalali_column("guardianship_end", "تاریخ خاتمه کفالت")

    @admin.display(description="نام و نام خانوادگی", ordering="last_name")
    def full_name(self, obj: Dependent) -> str:
        return obj.full_name

    def get_queryset(self, request):
        return selectors.dependents_visible_to(request.user, super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        """A national code finds the dependent with it and the dependents of the pensioner with it: one
        indexed lookup each (an OR across the join would scan every dependent)."""
        code = normalize_national_code(search_term)
        if code.isdigit() and len(code) == 10:
            pensioner_ids = list(Pensioner.objects.filter(national_code=code).values_list("pk", flat=True))
            return queryset.filter(Q(national_code=code) | Q(pensioner_id__in=pensioner_ids)), False
        return super().get_search_results(request, queryset, search_term)
