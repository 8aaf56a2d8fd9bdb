from django.conf import settings
from django.db import models
from django.utils import timezone


class ActorKind(models.TextChoices):
    STAFF = "staff", "کارمند"
    PENSIONER = "pensioner", "مستمری‌بگیر"
    SYSTEM = "system", "سامانه"


class Action(models.TextChoices):
    CREATED = "created", "ایجاد"
    CHANGED = "changed", "تغییر"
    DELETED = "deleted", "حذف"
    MOVED = "moved", "گردش درخواست"
    STAFF_ROLE = "staff_role", "تغییر نقش کارمند"
    STAFF_OFFICES = "staff_offices", "تغییر واحدهای کارمند"
    STAFF_ACCOUNT = "staff_account", "تغییر حساب کارمند"
    # The moves of a request (DESIGN.md «Statuses of a request»), named as the workflow names them.
    REQUEST_SUBMIT = "request_submit", "ثبت نهایی درخواست"
    REQUEST_CANCEL = "request_cancel", "لغو درخواست"
    KANOON_APPROVE = "kanoon_approve", "تایید کانون"
    KANOON_REJECT = "kanoon_reject", "عدم تایید کانون"
    BRANCH_TRANSFER = "branch_transfer", "تغییر شعبه بیمه‌پردازی"
    BRANCH_ACCEPT = "branch_accept", "پذیرش شعبه"
    BRANCH_REJECT = "branch_reject", "عدم تایید شعبه"
    PAYROLL_FLAG = "payroll_flag", "تغییر وضعیت بیمه تکمیلی (نحوه پرداخت)"


def _by_time(*fields: str) -> list[str]:
    """A filter's columns, then the log's order: a filtered page is one range scan of one index."""
    return [*fields, "-at", "-id"]


class AuditEntry(models.Model):
    """One change, in words. Written once, never updated."""

    at = models.DateTimeField("زمان", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="انجام‌دهنده",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # the log outlives accounts; no lock on auth_user for each row written
        db_index=False,  # audit_actor (actor, at, id) serves every lookup by actor
    )
    actor_kind = models.CharField("نوع انجام‌دهنده", max_length=16, choices=ActorKind.choices)
    actor_name = models.CharField("نام انجام‌دهنده", max_length=200, blank=True)
    actor_role = models.CharField("نقش", max_length=100, blank=True)
    actor_office = models.CharField("واحد", max_length=300, blank=True)
    object_kind = models.CharField("نوع موضوع", max_length=100)  # "app_label.model"
    object_id = models.CharField("شناسه موضوع", max_length=64)
    object_label = models.CharField("موضوع", max_length=300)
    action = models.CharField("نوع تغییر", max_length=32, choices=Action.choices)
    changes = models.JSONField("تغییرات", default=list)  # [{"field": label, "old": text, "new": text}, ...]
    reason = models.TextField("علت", blank=True)
    # The offices the object belongs to, for scope and the office filter (plain ids: audit knows no model of ours).
    province_id = models.PositiveIntegerField(null=True, blank=True)
    kanoon_id = models.PositiveIntegerField(null=True, blank=True)
    branch_id = models.PositiveIntegerField(null=True, blank=True)
    national_code = models.CharField("کد ملی", max_length=10, blank=True)
    tracking_code = models.CharField("کد رهگیری", max_length=32, blank=True)
    # The simple-history row this entry was written from (object_kind's history table): what the object's
    # version page shows, and what makes audit_backfill write each entry once.
    history_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "رویداد گزارش تغییرات"
        verbose_name_plural = "گزارش تغییرات"
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=_by_time("object_kind", "object_id"), name="audit_object"),
            models.Index(fields=_by_time("actor"), name="audit_actor"),
            models.Index(fields=_by_time("province_id"), name="audit_province"),
            models.Index(fields=_by_time("kanoon_id"), name="audit_kanoon"),
            models.Index(fields=_by_time("branch_id"), name="audit_branch"),
            models.Index(fields=_by_time("object_kind"), name="audit_kind"),
            models.Index(fields=_by_time("action"), name="audit_action"),
            models.Index(fields=_by_time("national_code"), name="audit_national_code"),
            models.Index(fields=_by_time("tracking_code"), name="audit_tracking_code"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["object_kind", "history_id"],
                condition=models.Q(history_id__isnull=False),
                name="audit_one_entry_per_history_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_label}"
