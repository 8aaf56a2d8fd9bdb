"""Admin-site pages of the managers' reports: the monthly deduction list of a branch and the
reconciliation findings. Both are wrapped in admin_site.admin_view (staff login, CSRF, no caching)
and scoped like every admin path: out of scope looks exactly like "does not exist".

Wired in config/urls.py before the admin's own URLs:
    path("admin/reports/", include("enrollment.reports.dashboard_views")),
"""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from core import jalali
from core.jalali import JalaliParseError
from core.jobs import PENDING, JobStatus
from enrollment import selectors
from enrollment.deductions import jobs as deduction_jobs
from enrollment.deductions import monthly
from enrollment.models import Branch
from enrollment.reports.dashboard import (
    RECONCILIATION_SECONDS,
    ReconciliationSummary,
    cache_figures,
    reconciliation_key,
    scope_key,
    scope_title,
)
from enrollment.reports.reconciliation import FINDINGS_PER_CHECK, FindingKind, reconcile, reconciliation_counts
from policies.models import ContractPeriod
from policies.selectors import period_active

app_name = "reports_dashboard"

VIEW_DEDUCTIONS = "loans.view_deductiondocument"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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
    """The form, the totals of the chosen branch and month, and the CSV / XLSX downloads: written at once
    for a list up to REPORTS_MONTHLY_INLINE_MAX documents, by a background job (MonthlyListJob) for a larger
    one, whose progress and file the page shows."""
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
        totals = monthly.month_totals(branch_id=branch.pk, month=month)
        large = totals.documents > deduction_jobs.monthly_inline_max()
        if request.method == "POST":
            return _monthly_job_post(request, branch, month)
        export = request.GET.get("export")
        if export in ("csv", "xlsx") and large:
            return redirect(request.path + "?" + _query(branch, month))  # never built inside a request
        if export == "csv":
            return _csv_response(branch, month)
        if export == "xlsx":
            return _xlsx_response(branch, month)
        files = list(deduction_jobs.monthly_jobs_visible_to(request.user).filter(branch=branch, month=month)[:5])
        context.update(
            branch=branch,
            month=month,
            totals=totals,
            query=_query(branch, month),
            large=large,
            inline_max=deduction_jobs.monthly_inline_max(),
            files=files,
            refresh_seconds=5 * any(job.status in PENDING for job in files),
        )
    return render(request, "admin/reports/monthly/deductions.html", context)


def _query(branch: Branch, month) -> str:
    return f"branch={branch.pk}&month={monthly.month_label(month)}"


def _monthly_job_post(request: HttpRequest, branch: Branch, month) -> HttpResponse:
    """«ساختن فایل» queues the list's file; «شروع دوباره» restarts one of the user's failed files."""
    file_format = request.POST.get("build")
    if file_format in ("csv", "xlsx"):
        deduction_jobs.monthly_start(user=request.user, branch=branch, month=month, file_format=file_format)
        messages.info(request, "فایل فهرست در پس‌زمینه ساخته می‌شود؛ همین صفحه پیشرفت آن را نشان می‌دهد.")
    elif (restart := request.POST.get("restart", "")).isdigit():
        job = deduction_jobs.monthly_jobs_visible_to(request.user).filter(pk=int(restart), branch=branch).first()
        if job is None:
            raise Http404
        if deduction_jobs.monthly_restart(job):
            messages.info(request, "ساختن فایل دوباره در صف قرار گرفت.")
    return redirect(request.path + "?" + _query(branch, month))


def monthly_file(request: HttpRequest, job_id: int) -> FileResponse:
    """The file of a finished monthly list job, for whom may still take that branch's list."""
    job = deduction_jobs.monthly_jobs_visible_to(request.user).filter(pk=job_id, status=JobStatus.DONE).first()
    if job is None or not job.file or not deduction_jobs.may_take_monthly(request.user, job.branch_id):
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=_file_name(job.branch, job.month, job.file_format),
        content_type=CONTENT_TYPES[job.file_format],
    )


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
        content_type=CONTENT_TYPES["xlsx"],
    )


def reconciliation(request: HttpRequest) -> HttpResponse:
    """Every finding of a period (the active one unless ?period= names another) in the user's scope: the
    country for users who see all, their provinces for province managers; "does not exist" for others."""
    user = request.user
    if not selectors.sees_reports(user):
        raise Http404
    period = _period(request.GET.get("period", ""))
    context = {
        **admin.site.each_context(request),
        "title": "تطبیق درخواست‌های پذیرفته‌شده با نحوه پرداخت و کسور",
        "scope_title": scope_title(user),
    }
    if period is not None:
        counts = reconciliation_counts(period, user=user)
        findings = reconcile(period, user=user)
        listed = Counter(finding.kind for finding in findings)
        # What the page just counted is what the dashboard shows next, to everyone with the same scope.
        scope = scope_key(user)
        figures = ReconciliationSummary(period.pk, counts, scope)
        cache_figures(reconciliation_key(period.pk, scope), figures, RECONCILIATION_SECONDS)
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
    path("monthly-deductions/file/<int:job_id>/", admin.site.admin_view(monthly_file), name="monthly_file"),
    path("reconciliation/", admin.site.admin_view(reconciliation), name="reconciliation"),
]
