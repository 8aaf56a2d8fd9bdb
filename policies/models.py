"""Contract periods (directive point 15): each year's window, terms, premium rates and enrollment rules."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit.facts import Facts, related
from audit.history import AuditedHistoryManager
from core.text import to_persian_digits


class Relation(models.TextChoices):
    """Who a person is to the main pensioner; also the key of premium rates and rules."""

    SELF = "self", "مستمری‌بگیر اصلی"
    SPOUSE = "spouse", "همسر"
    CHILD = "child", "فرزند"
    PARENT = "parent", "پدر/مادر"


class InsuranceKind(models.TextChoices):
    HEALTH = "health", "بیمه تکمیلی درمان"
    LIFE = "life", "بیمه عمر"


class WithdrawalPolicy(models.TextChoices):
    WINDOW_ONLY = "window_only", "فقط در مهلت ثبت‌نام"
    ANYTIME = "anytime", "در هر زمان از دوره"
    NEVER = "never", "انصراف در طول دوره مجاز نیست"


# Frozen once a request has been submitted in the period (its pensioner accepted them and the rules
# held): the enrollment rules, and what the deductions are computed from (CHARGE_FIELDS and the rates).
# Deduction documents alone (carried over from the period before) freeze only the latter: they charge
# the rates from the coverage start. The window, title and review targets stay editable.
RULE_FIELDS = (
    "main_required_for_dependents",
    "spouse_with_main",
    "children_all_or_nothing",
    "parents_all_or_nothing",
    "child_max_age",
    "parent_max_age",
    "withdrawal_policy",
)
CHARGE_FIELDS = ("coverage_start", "coverage_end")
RATE_FIELDS = ("kind", "relation", "min_age", "max_age", "full_premium", "sso_subsidy", "insured_share")
TERMS_FIELDS = ("period_id", "version", "text", "published_at")

LOCKED_BY_REQUESTS = "این دوره درخواست پذیرفته‌شده دارد؛ برای تغییر، نسخه جدید شرایط یا دوره جدید بسازید."
LOCKED_BY_DEDUCTIONS = "برای این دوره سند کسر حق بیمه صادر شده است؛ برای تغییر، دوره جدید بسازید."
TERMS_LOCKED = "این نسخه از شرایط را مستمری‌بگیران پذیرفته‌اند و قابل تغییر یا حذف نیست؛ نسخه جدید بسازید."

# The stamps of what froze a period or a terms version. Written once, by the services that lock them
# (policies.services.*_lock, called on submission, terms acceptance and deduction documents), never by
# a form: a save of a copy loaded before the stamp leaves the stored stamp as it is.
PERIOD_STAMPS = ("contract_locked_at", "charges_locked_at")
TERMS_STAMPS = ("accepted_at",)


def _save_keeping(instance: models.Model, stamps: tuple[str, ...], args, kwargs) -> None:
    """Saves an existing row without its lock stamps (see PERIOD_STAMPS)."""
    if not instance._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
        kwargs["update_fields"] = [
            field.attname
            for field in instance._meta.concrete_fields
            if not field.primary_key and field.name not in stamps
        ]


def _changed_fields(instance: models.Model, names: tuple[str, ...]) -> list[str]:
    """The fields among `names` whose value differs from the stored row (none for an unsaved object)."""
    if instance.pk is None:
        return []
    stored = type(instance)._default_manager.filter(pk=instance.pk).values(*names).first()
    if stored is None:
        return []
    return [name for name in names if getattr(instance, name) != stored[name]]


class ContractPeriod(models.Model):
    title = models.CharField("عنوان", max_length=200)
    insurer = models.CharField("شرکت بیمه‌گر", max_length=200)
    directive_reference = models.CharField("شماره و تاریخ بخشنامه", max_length=200, blank=True)
    coverage_start = models.DateField("شروع پوشش قرارداد")
    coverage_end = models.DateField("پایان پوشش قرارداد")
    window_opens_at = models.DateTimeField("شروع مهلت ثبت درخواست")
    window_closes_at = models.DateTimeField("پایان مهلت ثبت درخواست")
    is_active = models.BooleanField(
        "دوره جاری", default=False, help_text="فقط یک دوره می‌تواند در هر زمان درخواست بپذیرد."
    )

    main_required_for_dependents = models.BooleanField("ثبت‌نام افراد تبعی فقط با عضویت مستمری‌بگیر اصلی", default=True)
    spouse_with_main = models.BooleanField(
        "همسر همراه مستمری‌بگیر اصلی ثبت‌نام می‌شود",
        default=True,
        help_text="مگر همسری که در جای دیگر تحت پوشش است (شاغل، بازنشسته یا تحت پوشش فرزند).",
    )
    children_all_or_nothing = models.BooleanField("فرزندان: همه یا هیچ‌کدام", default=True)
    parents_all_or_nothing = models.BooleanField("پدر و مادر: همه یا هیچ‌کدام", default=True)
    child_max_age = models.PositiveSmallIntegerField("حداکثر سن فرزند", null=True, blank=True)
    parent_max_age = models.PositiveSmallIntegerField("حداکثر سن پدر و مادر", null=True, blank=True)
    withdrawal_policy = models.CharField(
        "انصراف در طول دوره", max_length=20, choices=WithdrawalPolicy.choices, default=WithdrawalPolicy.WINDOW_ONLY
    )
    kanoon_target_days = models.PositiveSmallIntegerField("مهلت رسیدگی کانون (روز کاری)", default=3)
    branch_target_days = models.PositiveSmallIntegerField("مهلت رسیدگی شعبه (روز کاری)", default=5)
    contract_locked_at = models.DateTimeField(
        "قواعد و نرخ‌ها ثابت از", null=True, blank=True, editable=False, help_text="نخستین درخواست ثبت‌شده دوره"
    )
    charges_locked_at = models.DateTimeField(
        "نرخ‌ها و پوشش ثابت از", null=True, blank=True, editable=False, help_text="نخستین سند کسر حق بیمه دوره"
    )

    created_at = models.DateTimeField("ایجاد", auto_now_add=True)
    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), history_manager=AuditedHistoryManager
    )

    class Meta:
        verbose_name = "دوره قرارداد"
        verbose_name_plural = "دوره‌های قرارداد"
        ordering = ["-coverage_start"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_period"),
            models.CheckConstraint(condition=Q(window_closes_at__gt=F("window_opens_at")), name="window_in_order"),
            models.CheckConstraint(condition=Q(coverage_end__gt=F("coverage_start")), name="coverage_in_order"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        _save_keeping(self, PERIOD_STAMPS, args, kwargs)
        super().save(*args, **kwargs)

    def audit_facts(self) -> Facts:
        """National: no office of its own."""
        return Facts(label=f"دوره قرارداد «{self.title}»")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.window_opens_at and self.window_closes_at and self.window_closes_at <= self.window_opens_at:
            errors["window_closes_at"] = "پایان مهلت ثبت درخواست باید بعد از شروع آن باشد."
        if self.coverage_start and self.coverage_end and self.coverage_end <= self.coverage_start:
            errors["coverage_end"] = "پایان پوشش قرارداد باید بعد از شروع آن باشد."
        if self.is_active:
            other_active = ContractPeriod.objects.filter(is_active=True).exclude(pk=self.pk).first()
            if other_active:
                errors["is_active"] = (
                    f"دوره «{other_active.title}» اکنون دوره جاری است؛ ابتدا آن را از حالت جاری خارج کنید."
                )
        if errors:
            raise ValidationError(errors)
        changed = {fields: _changed_fields(self, fields) for fields in (RULE_FIELDS, CHARGE_FIELDS)}
        if not any(changed.values()):
            return
        contract_locked, charges_locked = self.locked_reasons()
        errors = {}
        for fields, locked in ((RULE_FIELDS, contract_locked), (CHARGE_FIELDS, charges_locked)):
            if locked:
                errors.update(dict.fromkeys(changed[fields], locked))
        if errors:
            raise ValidationError(errors)

    def _stored_stamps(self) -> dict:
        """The lock stamps as stored now (not as this copy last saw them); empty for an unsaved period."""
        if self.pk is None:
            return {}
        return ContractPeriod.objects.filter(pk=self.pk).values(*PERIOD_STAMPS).first() or {}

    def locked_reasons(self) -> tuple[str | None, str | None]:
        """Why this period's rules (first) and its coverage and rates (second) may no longer change, or None
        while they may, from one read of the stored stamps. Rules, coverage and rates freeze once a request
        was submitted (a draft has submitted nothing): a change then needs a new terms version or a new
        period. Coverage and rates alone freeze once deduction documents charge them."""
        stamps = self._stored_stamps()
        contract = LOCKED_BY_REQUESTS if stamps.get("contract_locked_at") else None
        charges = contract or (LOCKED_BY_DEDUCTIONS if stamps.get("charges_locked_at") else None)
        return contract, charges

    def contract_locked_reason(self) -> str | None:
        return self.locked_reasons()[0]

    def charges_locked_reason(self) -> str | None:
        return self.locked_reasons()[1]

    def accepts_submissions(self, at: dt.datetime | None = None) -> bool:
        """True while this is the active period and `at` (default now) lies inside its window."""
        moment = at or timezone.now()
        return self.is_active and self.window_opens_at <= moment < self.window_closes_at


class TermsVersion(models.Model):
    """The notes and terms a pensioner accepts in step 1. A version, once accepted, is never edited."""

    period = models.ForeignKey(ContractPeriod, on_delete=models.PROTECT, related_name="terms", verbose_name="دوره")
    version = models.PositiveIntegerField("نسخه")
    text = models.TextField("متن شرایط و توضیحات")
    published_at = models.DateTimeField("تاریخ انتشار", default=timezone.now)
    accepted_at = models.DateTimeField(
        "نخستین پذیرش", null=True, blank=True, editable=False, help_text="نخستین مستمری‌بگیری که این متن را پذیرفت"
    )

    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), history_manager=AuditedHistoryManager
    )

    class Meta:
        verbose_name = "نسخه شرایط قرارداد"
        verbose_name_plural = "نسخه‌های شرایط قرارداد"
        ordering = ["period", "-version"]
        constraints = [models.UniqueConstraint(fields=["period", "version"], name="unique_terms_version")]

    def __str__(self) -> str:
        return f"{self.period} - نسخه {self.version}"

    def save(self, *args, **kwargs) -> None:
        _save_keeping(self, TERMS_STAMPS, args, kwargs)
        super().save(*args, **kwargs)

    def audit_facts(self) -> Facts:
        period = related(self, "period")
        return Facts(label=f"نسخه {to_persian_digits(self.version)} شرایط دوره «{period.title}»")

    def clean(self) -> None:
        if _changed_fields(self, TERMS_FIELDS) and self.is_accepted():
            raise ValidationError(TERMS_LOCKED)

    def is_accepted(self) -> bool:
        """A pensioner (even one whose draft went no further than step 1) accepted this version."""
        return self.pk is not None and TermsVersion.objects.filter(pk=self.pk, accepted_at__isnull=False).exists()


class PremiumRate(models.Model):
    """One monthly premium, in rials, for a kind of insurance, a relation and an age band."""

    period = models.ForeignKey(ContractPeriod, on_delete=models.PROTECT, related_name="rates", verbose_name="دوره")
    kind = models.CharField("نوع بیمه", max_length=10, choices=InsuranceKind.choices)
    relation = models.CharField("نسبت", max_length=10, choices=Relation.choices)
    min_age = models.PositiveSmallIntegerField("از سن", default=0)
    max_age = models.PositiveSmallIntegerField("تا سن", null=True, blank=True, help_text="خالی یعنی بدون سقف")
    full_premium = models.PositiveBigIntegerField("حق بیمه کامل (ریال)")
    sso_subsidy = models.PositiveBigIntegerField("مساعدت سازمان (ریال)")
    insured_share = models.PositiveBigIntegerField("سهم پرداختی بیمه‌شده (ریال)")

    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), history_manager=AuditedHistoryManager
    )

    class Meta:
        verbose_name = "نرخ حق بیمه"
        verbose_name_plural = "نرخ‌های حق بیمه"
        ordering = ["period", "kind", "relation", "min_age"]
        constraints = [
            models.CheckConstraint(
                condition=Q(full_premium=F("sso_subsidy") + F("insured_share")), name="premium_parts_add_up"
            ),
            models.CheckConstraint(condition=Q(max_age__isnull=True) | Q(max_age__gte=F("min_age")), name="age_band"),
            models.UniqueConstraint(fields=["period", "kind", "relation", "min_age"], name="unique_rate_band"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} - {self.get_relation_display()}"

    def audit_facts(self) -> Facts:
        period = related(self, "period")
        ages = f"از {to_persian_digits(self.min_age)} سال"
        if self.max_age is not None:
            ages += f" تا {to_persian_digits(self.max_age)} سال"
        kind, relation = self.get_kind_display(), self.get_relation_display()
        return Facts(label=f"نرخ {kind}، {relation}، {ages}، دوره «{period.title}»")

    @classmethod
    def audit_prepare(cls, rates: list["PremiumRate"]) -> None:
        prefetch_related_objects(rates, "period")

    def clean(self) -> None:
        locked = self.locked_reason()
        if locked:
            raise ValidationError(locked)
        if None in (self.full_premium, self.sso_subsidy, self.insured_share):
            return
        if self.full_premium != self.sso_subsidy + self.insured_share:
            raise ValidationError("حق بیمه کامل باید برابر مجموع مساعدت سازمان و سهم بیمه‌شده باشد.")
        if self.max_age is not None and self.max_age < self.min_age:
            raise ValidationError({"max_age": "«تا سن» نمی‌تواند کمتر از «از سن» باشد."})

    def locked_reason(self) -> str | None:
        """Why this rate (new, changed or moved to another period) may not be saved, or None."""
        if self.pk is None:
            return self.period.charges_locked_reason() if self.period_id else None
        stored = PremiumRate.objects.filter(pk=self.pk).values("period_id", *RATE_FIELDS).first()
        if stored is None or all(getattr(self, name) == stored[name] for name in stored):
            return None
        for period_id in {stored["period_id"], self.period_id}:
            locked = ContractPeriod(pk=period_id).charges_locked_reason()  # reads the stored stamps
            if locked:
                return locked
        return None

    def covers_age(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)
