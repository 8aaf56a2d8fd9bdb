from django.contrib import admin

from policies.models import ContractPeriod, PremiumRate, TermsVersion
from portal.admin_tools import PortalModelAdmin, PortalTabularInline, ScopedHistoryAdmin, jalali_column


class TermsVersionInline(PortalTabularInline):
    model = TermsVersion
    fields = ["version", "published_at", "text"]


class PremiumRateInline(PortalTabularInline):
    model = PremiumRate
    fields = ["kind", "relation", "min_age", "max_age", "full_premium", "sso_subsidy", "insured_share"]


@admin.register(ContractPeriod)
class ContractPeriodAdmin(ScopedHistoryAdmin, PortalModelAdmin):
    list_display = ["title", "insurer", "is_active", "coverage_start_jalali", "window_opens", "window_closes"]
    list_filter = ["is_active"]
    search_fields = ["title", "insurer"]
    inlines = [TermsVersionInline, PremiumRateInline]
    fieldsets = [
        (None, {"fields": ["title", "insurer", "directive_reference", "is_active"]}),
        ("پوشش و مهلت", {"fields": ["coverage_start", "coverage_end", "window_opens_at", "window_closes_at"]}),
        (
            "قواعد ثبت‌نام این دوره",
            {
                "fields": [
                    "main_required_for_dependents",
                    "spouse_with_main",
                    "children_all_or_nothing",
                    "parents_all_or_nothing",
                    "child_max_age",
                    "parent_max_age",
                    "withdrawal_policy",
                ]
            },
        ),
        ("مهلت رسیدگی", {"fields": ["kanoon_target_days", "branch_target_days"]}),
    ]

    coverage_start_jalali = jalali_column("coverage_start", "شروع پوشش")
    window_opens = jalali_column("window_opens_at", "شروع مهلت", with_time=True)
    window_closes = jalali_column("window_closes_at", "پایان مهلت", with_time=True)


@admin.register(PremiumRate)
class PremiumRateAdmin(ScopedHistoryAdmin, PortalModelAdmin):
    list_display = ["period", "kind", "relation", "min_age", "max_age", "full_premium", "sso_subsidy", "insured_share"]
    list_select_related = ["period"]
    list_filter = ["kind", "relation"]
