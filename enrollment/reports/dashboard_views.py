"""Admin-site pages of the managers' reports: the monthly deduction list of a branch and the
reconciliation findings. Both are wrapped in admin_site.admin_view (staff login, CSRF, no caching)
and scoped like every admin path: out of scope looks exactly like "does not exist".

Wired in config/urls.py before the admin's own URLs:
    path("admin/reports/", include("enrollment.reports.dashboard_views")),
"""

from collections import Counter

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path

from core import jalali
from core.jalali import JalaliParseError
from enrollment import selectors
from enrollment.deductions import monthly
from enrollment.models import Branch
from enrollment.reports.dashboard import (
    RECONCILIATION_SECONDS,
    ReconciliationSummary,
    cache_figures,
    reconciliation_key,
)
from enrollment.reports.reconciliation import FINDINGS_PER_CHECK, FindingKind, reconcile, reconciliation_counts
from policies.models import ContractPeriod
from policies.selectors import period_active

app_name = "reports_dashboard"

VIEW_DEDUCTIONS = "loans.view_deductiondocument"


class MonthlyListForm(forms.Form):
    branch = forms.TypedChoiceField(label="شعبه", coerce=int)
    month = forms.CharField(label="ماه", max_length=10, help_text="سال/ماه؛ مثلاً ۱۴۰۵/۱۰")

    def __init__(self, *args, branches: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = branches

    def clean_month(self):
        try:
            return jalali.parse_month(self.cleaned_data["month"])
        except JalaliParseError as error:
            raise forms.ValidationError(str(error)) from None


def monthly_deductions(request: HttpRequest) -> HttpResponse:
    """The form, the totals of the chosen branch and month, and the CSV / XLSX downloads."""
    if not request.user.has_perm(VIEW_DEDUCTIONS):
        raise PermissionDenied
    branches = list(selectors.branches_of(request.user).order_by("code").values_list("pk", "name"))
    if "branch" in request.GET and not _branch_in(request.GET["branch"], branches):
        raise Http404  # another office's list, or no such branch: the same answer
    initial = {"month": jalali.format_month(jalali.today())}
    form = MonthlyListForm(request.GET or None, branches=branches, initial=initial)
    context = {
        **admin.site.each_context(request),
        "title": "فهرست ماهانه کسور شعبه",
        "form": form,
        "has_branches": bool(branches),
    }
    if form.is_valid():
        branch = Branch.objects.get(pk=form.cleaned_data["branch"])
        month = form.cleaned_data["month"]
        export = request.GET.get("export")
        if export == "csv":
            return _csv_response(branch, month)
        if export == "xlsx":
            return _xlsx_response(branch, month)
        context.update(
            branch=branch,
            month=month,
            totals=monthly.month_totals(branch_id=branch.pk, month=month),
            query=f"branch={branch.pk}&month={monthly.month_label(month)}",
        )
    return render(request, "admin/reports/monthly/deductions.html", context)


def _branch_in(value: str, branches: list[tuple[int, str]]) -> bool:
    return value.isdigit() and int(value) in {pk for pk, _ in branches}


def _file_name(branch: Branch, month, extension: str) -> str:
    return f"deductions-{branch.code}-{monthly.month_label(month).replace('/', '-')}.{extension}"


def _csv_response(branch: Branch, month) -> StreamingHttpResponse:
    lines = monthly.csv_lines(monthly.month_rows(branch_id=branch.pk, month=month))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(branch, month, "csv")}"'
    return response


def _xlsx_response(branch: Branch, month) -> FileResponse:
    workbook = monthly.xlsx_write(
        rows=monthly.month_rows(branch_id=branch.pk, month=month),
        totals=monthly.month_totals(branch_id=branch.pk, month=month),
        branch_name=branch.name,
        month=month,
    )
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=_file_name(branch, month, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def reconciliation(request: HttpRequest) -> HttpResponse:
    """Every finding of a period (the active one unless ?period= names another); for users who see all."""
    if not selectors.user_sees_all(request.user):
        raise Http404
    period = _period(request.GET.get("period", ""))
    context = {**admin.site.each_context(request), "title": "تطبیق درخواست‌های پذیرفته‌شده با نحوه پرداخت و کسور"}
    if period is not None:
        counts = reconciliation_counts(period)
        findings = reconcile(period)
        listed = Counter(finding.kind for finding in findings)
        # What the page just counted is what the dashboard shows next.
        cache_figures(reconciliation_key(period.pk), ReconciliationSummary(period.pk, counts), RECONCILIATION_SECONDS)
        context.update(
            period=period,
            periods=ContractPeriod.objects.order_by("-coverage_start").values_list("pk", "title"),
            counts=[(FindingKind(kind).label, count) for kind, count in counts.items()],
            total=sum(counts.values()),
            findings=findings,
            cap=FINDINGS_PER_CHECK,
            capped=any(listed[kind] < count for kind, count in counts.items()),
        )
    return render(request, "admin/reports/dashboard/reconciliation.html", context)


def _period(value: str) -> ContractPeriod | None:
    if not value:
        return period_active()
    if not value.isdigit():
        raise Http404
    period = ContractPeriod.objects.filter(pk=int(value)).first()
    if period is None:
        raise Http404
    return period


urlpatterns = [
    path("monthly-deductions/", admin.site.admin_view(monthly_deductions), name="monthly_deductions"),
    path("reconciliation/", admin.site.admin_view(reconciliation), name="reconciliation"),
]
