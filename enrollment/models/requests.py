"""A pensioner's request to enroll in or withdraw from supplementary insurance, and its per-person items.

Statuses and labels are DESIGN.md's. The moves between them live in the workflow module; nothing
else changes `status`.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q, prefetch_related_objects
from simple_history.models import HistoricalRecords

from audit.facts import Facts, related
from audit.history import AuditedHistoryManager
from audit.models import Action, ActorKind
from audit.record import Offices
from core.text import to_persian_digits
from enrollment.models.registry import Branch, Dependent, Kanoon, Pensioner, kanoon_provinces
from policies.models import ContractPeriod, Relation, TermsVersion


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "پیش‌نویس"
    KANOON_REVIEW = "kanoon_review", "در حال بررسی کانون بازنشستگان و مستمری‌بگیران"
    KANOON_REJECTED = "kanoon_rejected", "مختومه - عدم تایید کانون"
    BRANCH_REVIEW = "branch_review", "در حال بررسی - نیاز به رسیدگی شعبه"
    BRANCH_REJECTED = "branch_rejected", "مختومه - عدم تایید شعبه"
    ACCEPTED = "accepted", "مختومه - تایید نهایی"
    CANCELLED = "cancelled", "لغو شده توسط متقاضی"


REQUEST_MOVE_ACTIONS = {
    (RequestStatus.DRAFT, RequestStatus.KANOON_REVIEW): Action.REQUEST_SUBMIT,
    (RequestStatus.KANOON_REVIEW, RequestStatus.CANCELLED): Action.REQUEST_CANCEL,
    (RequestStatus.KANOON_REVIEW, RequestStatus.BRANCH_REVIEW): Action.KANOON_APPROVE,
    (RequestStatus.KANOON_REVIEW, RequestStatus.KANOON_REJECTED): Action.KANOON_REJECT,
    (RequestStatus.BRANCH_REVIEW, RequestStatus.ACCEPTED): Action.BRANCH_ACCEPT,
    (RequestStatus.BRANCH_REVIEW, RequestStatus.BRANCH_REJECTED): Action.BRANCH_REJECT,
}

OPEN_STATUSES = (RequestStatus.DRAFT, RequestStatus.KANOON_REVIEW, RequestStatus.BRANCH_REVIEW)


class Operation(models.TextChoices):
    ENROLL = "enroll", "ثبت‌نام"
    WITHDRAW = "withdraw", "انصراف"
    NONE = "none", "بدون تغییر"


class RejectionReason(models.TextChoices):
    INCOMPLETE_DOCUMENTS = "incomplete_documents", "نقص مدارک یا اطلاعات پرونده"
    NOT_ELIGIBLE = "not_eligible", "عدم احراز شرایط مشمولیت"
    DEPENDENT_MISMATCH = "dependent_mismatch", "مغایرت اطلاعات افراد تبعی"
    RULES_NOT_MET = "rules_not_met", "عدم رعایت شرایط قرارداد این دوره"
    DUPLICATE = "duplicate", "درخواست تکراری"
    OTHER = "other", "سایر موارد"


def new_tracking_code() -> str:
    """Twelve digits from a secure source, never starting with 0 (easy to read out on the phone)."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


class EnrollmentRequest(models.Model):
    pensioner = models.ForeignKey(
        Pensioner, on_delete=models.PROTECT, related_name="requests", verbose_name="مستمری‌بگیر"
    )
    period = models.ForeignKey(ContractPeriod, on_delete=models.PROTECT, related_name="requests", verbose_name="دوره")
    status = models.CharField(
        "وضعیت", max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    tracking_code = models.CharField("کد رهگیری", max_length=12, unique=True, default=new_tracking_code)
    terms_version = models.ForeignKey(
        TermsVersion, on_delete=models.PROTECT, null=True, blank=True, verbose_name="نسخه شرایط پذیرفته‌شده"
    )
    terms_accepted_at = models.DateTimeField("زمان پذیرش شرایط", null=True, blank=True)
    kanoon = models.ForeignKey(
        Kanoon, on_delete=models.PROTECT, related_name="requests", verbose_name="کانون رسیدگی‌کننده"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="requests", verbose_name="شعبه رسیدگی‌کننده"
    )
    submitted_at = models.DateTimeField("زمان ثبت", null=True, blank=True)
    waiting_since = models.DateTimeField(
        "در انتظار از", null=True, blank=True, help_text="زمان ورود به کارتابل فعلی (کانون یا شعبه)"
    )
    rejection_reason = models.CharField("علت عدم تایید", max_length=30, choices=RejectionReason.choices, blank=True)
    decision_note = models.TextField("توضیح رسیدگی", blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="در حال رسیدگی توسط",
    )
    claimed_at = models.DateTimeField("زمان برداشتن", null=True, blank=True)
    # Kept with the items (drafts.draft_choices_set) so cartable filters never aggregate millions of items.
    enroll_count = models.PositiveSmallIntegerField("تعداد ثبت‌نام", default=0)
    withdraw_count = models.PositiveSmallIntegerField("تعداد انصراف", default=0)
    created_at = models.DateTimeField("زمان ایجاد", auto_now_add=True)
    updated_at = models.DateTimeField("آخرین تغییر", auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        history_change_reason_field=models.TextField(null=True),
        history_manager=AuditedHistoryManager,
    )

    class Meta:
        verbose_name = "درخواست عضویت بیمه تکمیلی"
        verbose_name_plural = "درخواست‌های عضویت بیمه تکمیلی"
        ordering = ["-submitted_at", "-id"]
        permissions = [
            ("kanoon_review", "رسیدگی کانون به درخواست‌ها (در محدوده کانون‌های خود)"),
            ("branch_review", "رسیدگی شعبه به درخواست‌ها (در محدوده شعب خود)"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pensioner", "period"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_request_per_period",
                violation_error_message="برای این مستمری‌بگیر در این دوره یک درخواست باز وجود دارد.",
            )
        ]
        indexes = [
            models.Index(fields=["kanoon", "status", "waiting_since", "id"], name="request_kanoon_queue"),
            models.Index(fields=["branch", "status", "waiting_since", "id"], name="request_branch_queue"),
            models.Index(fields=["submitted_at", "id"], name="request_submitted"),
            # The default order of every cartable; managers see all offices, so no office column leads.
            models.Index(fields=["waiting_since", "id"], name="request_waiting"),
        ]

    def __str__(self) -> str:
        return f"درخواست {self.tracking_code}"

    def audit_facts(self) -> Facts:
        """A change nobody on the staff made is the pensioner's own (the wizard's steps, a cancellation)."""
        pensioner = related(self, "pensioner")
        province_id = kanoon_provinces([self.kanoon_id])[self.kanoon_id]
        return Facts(
            label=f"درخواست {to_persian_digits(self.tracking_code)}، {pensioner.full_name}",
            offices=Offices(province_id=province_id, kanoon_id=self.kanoon_id, branch_id=self.branch_id),
            national_code=pensioner.national_code,
            tracking_code=self.tracking_code,
            unattended_actor=ActorKind.PENSIONER,
        )

    @classmethod
    def audit_prepare(cls, requests: list["EnrollmentRequest"]) -> None:
        """What a set's facts read, read once for the set."""
        prefetch_related_objects(requests, "pensioner")
        kanoon_provinces(r.kanoon_id for r in requests)

    @staticmethod
    def audit_wanted(row) -> bool:
        """A draft is the pensioner's own until it is submitted: no one on the staff can open it, so the log
        starts with its submission (compared with the draft as it was created, in full: enrollment.drafts)."""
        return row.status != RequestStatus.DRAFT

    @staticmethod
    def audit_action(old: dict | None, new: dict) -> str | None:
        """The move a change of status (or of branch, in review) is: named as the workflow names it."""
        if old is None:
            return None
        moved = (old["status"], new["status"])
        if moved[0] != moved[1]:
            return REQUEST_MOVE_ACTIONS.get(moved, Action.MOVED)
        if old["branch_id"] != new["branch_id"]:
            return Action.BRANCH_TRANSFER
        return None


class RequestItem(models.Model):
    """One person of a request: what they had, what the pensioner chose, what they will have."""

    request = models.ForeignKey(
        EnrollmentRequest, on_delete=models.CASCADE, related_name="items", verbose_name="درخواست"
    )
    dependent = models.ForeignKey(
        Dependent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="request_items",
        verbose_name="فرد تبعی",
        help_text="خالی یعنی خود مستمری‌بگیر اصلی",
    )
    relation = models.CharField("نسبت", max_length=10, choices=Relation.choices)
    status_before = models.BooleanField("وضعیت فعلی بیمه تکمیلی")
    operation = models.CharField("عملیات", max_length=10, choices=Operation.choices, default=Operation.NONE)
    status_after = models.BooleanField("وضعیت جدید بیمه تکمیلی")

    class Meta:
        verbose_name = "فرد درخواست"
        verbose_name_plural = "افراد درخواست"
        # The column, not the relation: ordering by "request" would join the requests to sort by their own
        # ordering (newest submission first) on every read of a request's items.
        ordering = ["request_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "dependent"], name="one_item_per_dependent"),
            models.UniqueConstraint(
                fields=["request"], condition=Q(dependent__isnull=True), name="one_item_for_main_pensioner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} - {self.get_operation_display()}"

    @property
    def person(self) -> Pensioner | Dependent:
        return self.dependent if self.dependent_id else self.request.pensioner
