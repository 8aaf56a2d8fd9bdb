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

    class Meta:
        verbose_name = "رویداد گزارش تغییرات"
        verbose_name_plural = "گزارش تغییرات"
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["object_kind", "object_id", "-at"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_label}"
