"""The Kanoon and branch cartables (points 7-11): the request list and page of the admin.

One ModelAdmin serves both: its queryset is the scoped selector, its actions are offered by role
and call the workflow (the moves through its set path, workflow.moves_apply, for any number of
selected requests, «همه موارد منطبق» included; past bulk_jobs.inline_max() as a background job), so
the guard, lock, history and SMS are the workflow's. Hand-made ids in a POST never reach outside the scoped queryset.
"""

from django.contrib import admin, messages
from django.db.models import Case, Value, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core import jalali
from core.admin_tools import (
    PortalModelAdmin,
    PortalTabularInline,
    ReadOnlyAdminMixin,
    ScopedHistoryAdmin,
    jalali_column,
)
from core.identity import normalize_national_code
from core.text import format_number, normalize_text, to_persian_digits
from enrollment import bulk_jobs, roles, selectors, workflow
from enrollment.cartable_filters import (
    BranchFilter,
    CountyFilter,
    JalaliDateRangeFilter,
    OperationFilter,
    PersonsFilter,
    RequestTypeFilter,
)
from enrollment.drafts import RELATION_ORDER
from enrollment.models import EnrollmentRequest, RejectionReason, RequestItem
from enrollment.reports.admin import EXPORT_ACTION, ScopedExportMixin
from enrollment.reports.models import ExportKind

YES_NO = {True: "دارد", False: "ندارد"}
# The reason form lists this many of a «همه موارد منطبق» selection, and the count of the rest.
REJECT_FORM_LISTED = 50
# A page of the cartable may show this many requests («نمایش همه»), so a clerk can tick a thousand at once.
SHOW_ALL_MAX = 1000


def ids_in_chunks(queryset, size: int = workflow.SET_CHUNK):
    """The ids of a queryset in id order, read `size` at a time (keyset): a selection of any size is never
    held in memory, and rows that leave the filter once moved do not shift the next read."""
    ids = queryset.order_by("pk").values_list("pk", flat=True)
    last = 0
    while chunk := list(ids.filter(pk__gt=last)[:size]):
        yield from chunk
        last = chunk[-1]


class RequestItemInline(ReadOnlyAdminMixin, PortalTabularInline):
    """«نمایش درخواست»: every person with before/after and guardianship end date."""

    model = RequestItem
    verbose_name_plural = "افراد درخواست"
    fields = ["person_name", "national_code", "relation", "guardianship_end_jalali", "before", "operation", "after"]
    readonly_fields = fields
    can_delete = False
    template = "admin/enrollment/enrollmentrequest/request_items.html"

    def get_queryset(self, request):
        """The persons as step 3 listed them: the pensioner, the spouse, children, parents, by birth date."""
        rank = Case(
            *(When(relation=relation, then=Value(order)) for relation, order in RELATION_ORDER.items()),
            default=Value(len(RELATION_ORDER)),
        )
        queryset = super().get_queryset(request).select_related("dependent", "request__pensioner")
        return queryset.order_by(rank, "dependent__birth_date", "id")

    @admin.display(description="نام و نام خانوادگی")
    def person_name(self, item: RequestItem) -> str:
        return item.person.full_name

    @admin.display(description="کد ملی")
    def national_code(self, item: RequestItem) -> str:
        return to_persian_digits(item.person.national_code)

    @admin.display(description="تاریخ خاتمه کفالت")
    def guardianship_end_jalali(self, item: RequestItem) -> str:
        end = item.dependent.guardianship_end if item.dependent_id else None
        return jalali.format_date(end) or "-"

    @admin.display(description="وضعیت فعلی بیمه تکمیلی")
    def before(self, item: RequestItem) -> str:
        return YES_NO[item.status_before]

    @admin.display(description="وضعیت جدید بیمه تکمیلی")
    def after(self, item: RequestItem) -> str:
        return YES_NO[item.status_after]


class RejectForm:
    """The coded reason and free text a rejection needs, read from a POST (`reject_note` on the request
    page, where `note` belongs to the approval)."""

    def __init__(self, data):
        self.reason_code = data.get("reason_code", "")
        self.note = normalize_text(data.get("reject_note", data.get("note", "")))


@admin.register(EnrollmentRequest)
class CartableAdmin(ReadOnlyAdminMixin, ScopedExportMixin, ScopedHistoryAdmin, PortalModelAdmin):
    list_display = [
        "tracking",
        "pensioner_name",
        "pensioner_code",
        "operations",
        "submitted",
        "waiting",
        "status",
        "handling",
    ]
    list_display_links = ["tracking"]
    list_max_show_all = SHOW_ALL_MAX
    list_select_related = ["pensioner__paying_branch", "period", "claimed_by", "kanoon", "branch"]
    list_filter = ["status", RequestTypeFilter, JalaliDateRangeFilter, OperationFilter, PersonsFilter]
    office_filters = [BranchFilter, CountyFilter]  # for those who work more than one county
    search_fields = ["tracking_code__exact", "pensioner__national_code__exact", "pensioner__last_name__startswith"]
    search_help_text = "کد رهگیری، کد ملی یا نام خانوادگی"
    ordering = ["waiting_since", "id"]
    sortable_by = ["tracking", "submitted", "waiting", "status"]
    inlines = [RequestItemInline]
    actions = [
        "claim",
        "kanoon_approve",
        "kanoon_reject",
        "branch_transfer",
        "branch_accept",
        "branch_reject",
        EXPORT_ACTION,
    ]
    export_kind = ExportKind.REQUEST_ITEMS
    fieldsets = [
        ("درخواست", {"fields": ["tracking_code", "status", "submitted_at_jalali", "waiting", "handling"]}),
        (
            "مستمری‌بگیر",
            {
                "fields": [
                    "pensioner_name",
                    "pensioner_code",
                    "pension_number",
                    "mobile",
                    "kanoon",
                    "branch_line",
                    "paying_branch",
                ]
            },
        ),
        ("شرایط پذیرفته‌شده", {"fields": ["terms_version", "terms_accepted_jalali"]}),
        ("رسیدگی", {"fields": ["rejection_reason", "decision_note"]}),
    ]
    readonly_fields = [
        "tracking_code",
        "status",
        "submitted_at_jalali",
        "waiting",
        "handling",
        "pensioner_name",
        "pensioner_code",
        "pension_number",
        "mobile",
        "kanoon",
        "branch_line",
        "paying_branch",
        "terms_version",
        "terms_accepted_jalali",
        "rejection_reason",
        "decision_note",
    ]
    change_form_template = "admin/enrollment/enrollmentrequest/cartable_change_form.html"

    submitted = jalali_column("submitted_at", "زمان ثبت", with_time=True)
    submitted_at_jalali = jalali_column("submitted_at", "زمان ثبت", with_time=True)
    terms_accepted_jalali = jalali_column("terms_accepted_at", "زمان پذیرش شرایط", with_time=True)

    # -- scope -------------------------------------------------------------------------------------

    def get_queryset(self, request):
        # terms_version__period: the request page shows the accepted terms (and its period) by name.
        queryset = super().get_queryset(request).select_related(*self.list_select_related, "terms_version__period")
        return selectors.requests_visible_to(request.user, queryset)

    def get_search_results(self, request, queryset, search_term):
        code = normalize_national_code(search_term)
        if code.isdigit() and len(code) == 12:
            return queryset.filter(tracking_code=code), False
        if code.isdigit() and len(code) == 10:
            return queryset.filter(pensioner__national_code=code), False
        term = normalize_text(search_term)
        if term and not any(char.isdigit() for char in term):
            # A name: one prefix lookup on the pensioner's index; an OR with the code columns scans everything.
            return queryset.filter(pensioner__last_name__startswith=term), False
        return super().get_search_results(request, queryset, term)

    def has_kanoon_permission(self, request) -> bool:
        return request.user.has_perm(roles.KANOON_ACTIONS)

    def has_branch_permission(self, request) -> bool:
        return request.user.has_perm(roles.BRANCH_ACTIONS)

    def has_claim_permission(self, request) -> bool:
        return self.has_kanoon_permission(request) or self.has_branch_permission(request)

    def get_list_filter(self, request):
        """A Kanoon works one county; branch staff and managers also filter by branch and county."""
        if self.has_kanoon_permission(request) and not self.has_branch_permission(request):
            return self.list_filter
        return [*self.list_filter, *self.office_filters]

    def changelist_view(self, request, extra_context=None):
        """A cartable opens on the queue its user works: the Kanoon's or the branch's pending requests."""
        if not request.GET and request.method == "GET":
            queue = self._default_queue(request)
            if queue:
                return HttpResponseRedirect(f"{request.path}?status__exact={queue}")
        return super().changelist_view(request, extra_context)

    def _default_queue(self, request) -> str | None:
        if self.has_kanoon_permission(request):
            return workflow.queue_of(workflow.KANOON)
        if self.has_branch_permission(request):
            return workflow.queue_of(workflow.BRANCH)
        return None

    # -- columns -----------------------------------------------------------------------------------

    @admin.display(description="کد رهگیری", ordering="tracking_code")
    def tracking(self, obj: EnrollmentRequest) -> str:
        return to_persian_digits(obj.tracking_code)

    @admin.display(description="مستمری‌بگیر", ordering="pensioner__last_name")
    def pensioner_name(self, obj: EnrollmentRequest) -> str:
        return obj.pensioner.full_name

    @admin.display(description="کد ملی")
    def pensioner_code(self, obj: EnrollmentRequest) -> str:
        return to_persian_digits(obj.pensioner.national_code)

    @admin.display(description="شماره مستمری")
    def pension_number(self, obj: EnrollmentRequest) -> str:
        return to_persian_digits(obj.pensioner.pension_number)

    @admin.display(description="تلفن همراه")
    def mobile(self, obj: EnrollmentRequest) -> str:
        return to_persian_digits(obj.pensioner.mobile)

    @admin.display(description="شعبه رسیدگی‌کننده درخواست")
    def branch_line(self, obj: EnrollmentRequest) -> str:
        return obj.branch.name

    @admin.display(description="شعبه پرداخت‌کننده فعلی مستمری")
    def paying_branch(self, obj: EnrollmentRequest) -> str:
        """Beside the request's branch: a pension that moved is decided by its new branch (point 10)."""
        if workflow.move_open("branch_transfer", obj):
            return format_html(
                '{} <strong class="text-danger">— با شعبه درخواست فرق دارد: «تغییر شعبه بیمه‌پردازی» لازم است.</strong>',
                obj.pensioner.paying_branch.name,
            )
        return obj.pensioner.paying_branch.name

    @admin.display(description="عملیات")
    def operations(self, obj: EnrollmentRequest) -> str:
        parts = []
        if obj.enroll_count:
            parts.append(f"{to_persian_digits(obj.enroll_count)} ثبت‌نام")
        if obj.withdraw_count:
            parts.append(f"{to_persian_digits(obj.withdraw_count)} انصراف")
        flag = ""
        if workflow.move_open("branch_transfer", obj):
            flag = format_html(
                ' <span class="badge text-bg-danger" title="{}">تغییر شعبه</span>', "شعبه پرداخت‌کننده تغییر کرده است"
            )
        return format_html("{}{}", "، ".join(parts) or "-", flag)

    @admin.display(description="مدت انتظار", ordering="waiting_since")
    def waiting(self, obj: EnrollmentRequest) -> str:
        target = {
            workflow.queue_of(workflow.KANOON): obj.period.kanoon_target_days,
            workflow.queue_of(workflow.BRANCH): obj.period.branch_target_days,
        }
        if obj.status not in target or obj.waiting_since is None:
            return "-"
        days = jalali.working_days_between(obj.waiting_since, timezone.now())
        goal = target[obj.status]
        level, note = ("success", "در مهلت") if days <= goal else ("warning", "دیرکرد")
        if days > 2 * goal:
            level, note = "danger", "دیرکرد زیاد"
        return format_html(
            '<span class="badge text-bg-{}" title="مهلت: {} روز کاری">{} روز کاری — {}</span>',
            level,
            to_persian_digits(goal),
            to_persian_digits(days),
            note,
        )

    @admin.display(description="در حال رسیدگی توسط")
    def handling(self, obj: EnrollmentRequest) -> str:
        if not obj.claimed_by_id:
            return "-"
        return obj.claimed_by.get_full_name() or obj.claimed_by.get_username()

    # -- actions: the claim one request at a time, the moves in sets (below) ---------------------

    def _each(self, request, queryset, action) -> None:
        done, refused = [], []
        for pk, tracking_code in queryset.values_list("pk", "tracking_code"):
            try:
                action(pk)
            except workflow.MoveRefused as refusal:
                refused.append(f"{to_persian_digits(tracking_code)}: {refusal.message}")
            else:
                done.append(to_persian_digits(tracking_code))
        if done:
            self.message_user(request, f"انجام شد برای {len(done)} درخواست: {'، '.join(done)}", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"انجام نشد — {line}", messages.ERROR)

    @admin.action(description="برداشتن برای رسیدگی (در حال رسیدگی توسط من)", permissions=["claim"])
    def claim(self, request, queryset):
        self._each(request, queryset, lambda pk: workflow.request_claim(request_id=pk, by=request.user))

    @admin.action(description="تایید کانون", permissions=["kanoon"])
    def kanoon_approve(self, request, queryset):
        self._in_sets(request, queryset, "kanoon_approve")

    @admin.action(description="عدم تایید کانون (با ذکر علت)", permissions=["kanoon"])
    def kanoon_reject(self, request, queryset):
        return self._reject(request, queryset, "kanoon_reject")

    @admin.action(description="تغییر شعبه بیمه‌پردازی", permissions=["branch"])
    def branch_transfer(self, request, queryset):
        self._in_sets(request, queryset, "branch_transfer")

    @admin.action(description="پذیرش شعبه (تایید نهایی)", permissions=["branch"])
    def branch_accept(self, request, queryset):
        self._in_sets(request, queryset, "branch_accept")

    @admin.action(description="عدم تایید شعبه (با ذکر علت)", permissions=["branch"])
    def branch_reject(self, request, queryset):
        return self._reject(request, queryset, "branch_reject")

    def _reject(self, request, queryset, action_name: str):
        """First POST shows the reason form for the selected requests; the second carries it out."""
        if "reason_code" in request.POST:
            form = RejectForm(request.POST)
            self._in_sets(request, queryset, action_name, reason_code=form.reason_code, note=form.note)
            return None
        across = request.POST.get("select_across") == "1"
        requests = queryset.select_related("pensioner").order_by("pk")
        context = {
            **self.admin_site.each_context(request),
            "title": workflow.MOVES[action_name].label,
            "opts": self.model._meta,
            # «همه موارد منطبق»: the form names the filter (the page's address), not every id.
            "requests": requests[:REJECT_FORM_LISTED] if across else requests,
            "select_across": across,
            "total": queryset.count() if across else None,
            "reasons": RejectionReason.choices,
            "action_name": action_name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/enrollment/enrollmentrequest/reject_form.html", context)

    # -- the actions in sets: any number of requests, a chunk per transaction --------------------

    def _in_sets(self, request, queryset, move_name: str, **options) -> None:
        """One move for the selected requests (the whole filtered list with «همه موارد منطبق») through the
        workflow's set path; the ids are read a chunk at a time, never all at once. A selection larger than
        bulk_jobs.inline_max() becomes a background job, and the clerk gets the link to its report."""
        try:
            if bulk_jobs.too_large(queryset):
                self._as_job(request, queryset, move_name, **options)
                return
            report = workflow.moves_apply(move_name, ids_in_chunks(queryset), user=request.user, **options)
        except workflow.MoveRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return
        self._report(request, report)

    def _as_job(self, request, queryset, move_name: str, **options) -> None:
        """The selection as the clerk made it: the list's filters with «همه موارد منطبق», else the ticked ids
        (in scope; a page holds at most SHOW_ALL_MAX, a hand-made POST DATA_UPLOAD_MAX_NUMBER_FIELDS)."""
        across = request.POST.get("select_across") == "1"
        job = bulk_jobs.bulk_move_start(
            user=request.user,
            move_name=move_name,
            query=request.GET.urlencode(),
            ids=None if across else list(queryset.values_list("pk", flat=True)),
            **options,
        )
        self.message_user(
            request,
            format_html(
                "«{}» برای بیش از {} درخواست در پس‌زمینه انجام می‌شود. پیشرفت و نتیجه هر درخواست: "
                '<a href="{}">گزارش اقدام گروهی شماره {}</a> (در «اقدام‌های گروهی» هم هست).',
                workflow.MOVES[move_name].label,
                format_number(bulk_jobs.inline_max()),
                reverse("admin:enrollment_bulkmovejob_change", args=[job.pk]),
                to_persian_digits(job.pk),
            ),
            messages.INFO,
        )

    def _report(self, request, report: workflow.SetReport) -> None:
        """One line for what was done, one per reason for what was not, each naming its requests."""
        if done := report.done:
            codes = "، ".join(to_persian_digits(outcome.tracking_code) for outcome in done)
            self.message_user(
                request, f"انجام شد برای {to_persian_digits(len(done))} درخواست: {codes}", messages.SUCCESS
            )
        by_reason: dict[str, list[str]] = {}
        for outcome in report.refused:
            name = outcome.tracking_code or f"شناسه {outcome.request_id}"
            by_reason.setdefault(outcome.refusal, []).append(to_persian_digits(name))
        for reason, names in by_reason.items():
            self.message_user(
                request,
                f"انجام نشد برای {to_persian_digits(len(names))} درخواست — {reason}: {'، '.join(names)}",
                messages.ERROR,
            )

    # -- the request page's buttons ----------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/move/<str:move>/",
                self.admin_site.admin_view(self.move_view),
                name="enrollment_enrollmentrequest_move",
            )
        ]
        return own + super().get_urls()

    def move_view(self, request, object_id: str, move: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, object_id)
        services = {
            "claim": lambda: workflow.request_claim(request_id=obj.pk, by=request.user),
            "kanoon_approve": lambda: workflow.request_kanoon_approve(
                request_id=obj.pk, by=request.user, note=normalize_text(request.POST.get("note", ""))
            ),
            "kanoon_reject": lambda: workflow.request_kanoon_reject(
                request_id=obj.pk, by=request.user, **vars(RejectForm(request.POST))
            ),
            "branch_transfer": lambda: workflow.request_branch_transfer(request_id=obj.pk, by=request.user),
            "branch_accept": lambda: workflow.request_branch_accept(request_id=obj.pk, by=request.user),
            "branch_reject": lambda: workflow.request_branch_reject(
                request_id=obj.pk, by=request.user, **vars(RejectForm(request.POST))
            ),
        }
        if obj is None or move not in services:
            raise Http404
        try:
            services[move]()
        except workflow.MoveRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
        else:
            label = "برداشتن برای رسیدگی" if move == "claim" else workflow.MOVES[move].label
            self.message_user(request, f"«{label}» برای درخواست {to_persian_digits(obj.tracking_code)} انجام شد.")
        if self.get_queryset(request).filter(pk=obj.pk).exists():
            return HttpResponseRedirect(reverse("admin:enrollment_enrollmentrequest_change", args=[obj.pk]))
        return HttpResponseRedirect(reverse("admin:enrollment_enrollmentrequest_changelist"))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            {
                "cartable_moves": self._moves_for(request, obj) if obj else [],
                "rejection_reasons": RejectionReason.choices,
                "transfer_closed": self._transfer_closed(obj) if obj else None,
            }
        )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @staticmethod
    def _transfer_closed(obj: EnrollmentRequest) -> str | None:
        """Why «تغییر شعبه بیمه‌پردازی» is not offered on a request the branch is deciding: the workflow's
        own guard (the pension is paid by the request's branch), in its words."""
        transfer = workflow.MOVES["branch_transfer"]
        if obj.status not in transfer.sources or workflow.move_open(transfer.name, obj):
            return None
        return transfer.guard(obj) if transfer.guard else None

    def _moves_for(self, request, obj: EnrollmentRequest) -> list[str]:
        """The buttons of the request page, as the workflow offers them to this user (and the claim with them)."""
        moves = [move.name for move in workflow.moves_available(obj, user=request.user)]
        return ["claim", *moves] if moves else []
