"""The registry pages of the operators' admin. Every queryset passes through enrollment.selectors."""

from django.contrib import admin

from enrollment import selectors
from enrollment.identity import normalize_national_code
from enrollment.models import Branch, County, Dependent, EnrollmentRequest, Kanoon, Pensioner, Province, RequestItem
from portal.admin_tools import PortalModelAdmin, PortalTabularInline, ScopedHistoryAdmin, jalali_column
from portal.text import normalize_text


class NormalizedSearchMixin:
    """Search terms typed in Persian/Arabic digits or Arabic letters still find the row."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalize_text(search_term))


class ProvinceListFilter(admin.SimpleListFilter):
    """Province as a filter: the lookups come from the 31-row province table, never from the list."""

    title = "استان"
    parameter_name = "province"
    field_path = "county__province"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Province.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


@admin.register(Province)
class ProvinceAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "=code"]


@admin.register(County)
class CountyAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["name", "code", "province"]
    list_select_related = ["province"]
    list_filter = ["province"]
    search_fields = ["name", "=code"]
    autocomplete_fields = ["province"]


@admin.register(Kanoon)
class KanoonAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["name", "county", "phone"]
    list_select_related = ["county"]
    search_fields = ["name", "county__name"]
    autocomplete_fields = ["county"]

    def get_queryset(self, request):
        return selectors.kanoons_of(request.user).select_related("county")


@admin.register(Branch)
class BranchAdmin(NormalizedSearchMixin, PortalModelAdmin):
    list_display = ["code", "name", "province", "phone"]
    list_select_related = ["province"]
    list_filter = ["province"]
    search_fields = ["=code", "name"]
    autocomplete_fields = ["province"]


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
class PensionerAdmin(NormalizedSearchMixin, ScopedHistoryAdmin, PortalModelAdmin):
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
    search_fields = ["=national_code", "=pension_number", "^last_name"]
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

    @admin.display(description="نام و نام خانوادگی", ordering="last_name")
    def full_name(self, obj: Pensioner) -> str:
        return obj.full_name

    def get_queryset(self, request):
        return selectors.pensioners_visible_to(request.user, super().get_queryset(request))

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
    search_fields = ["=national_code", "=pensioner__national_code"]
    raw_id_fields = ["pensioner"]

    birth_date_jalali = jalali_column("birth_date", "تاریخ تولد")
    guardianship_end_jalali = jalali_column("guardianship_end", "تاریخ خاتمه کفالت")

    @admin.display(description="نام و نام خانوادگی", ordering="last_name")
    def full_name(self, obj: Dependent) -> str:
        return obj.full_name

    def get_queryset(self, request):
        return selectors.dependents_visible_to(request.user, super().get_queryset(request))


class RequestItemInline(PortalTabularInline):
    model = RequestItem
    fields = ["relation", "dependent", "status_before", "operation", "status_after"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EnrollmentRequest)
class EnrollmentRequestAdmin(ScopedHistoryAdmin, PortalModelAdmin):
    """Read-only view of requests, scoped; their moves belong to the workflow, never to a form."""

    list_display = ["tracking_code", "pensioner", "status", "kanoon", "branch", "submitted_at_jalali"]
    list_select_related = ["pensioner", "kanoon", "branch"]
    list_filter = ["status"]
    search_fields = ["=tracking_code", "=pensioner__national_code"]
    inlines = [RequestItemInline]
    submitted_at_jalali = jalali_column("submitted_at", "زمان ثبت", with_time=True)

    def get_queryset(self, request):
        return selectors.requests_visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
