"""The pension registry as the central pension system holds it: places, offices, pensioners, dependents.

Each person's supplementary insurance status on the pensioner's payment method «نحوه پرداخت» is the
`has_supplementary` flag of the Pensioner (the main pensioner) and of each Dependent; its history is
the payroll's audit trail.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.cache import cache
from django.db import models
from django.db.models import prefetch_related_objects
from simple_history.models import HistoricalRecords

from audit.facts import Facts, related
from audit.history import AuditedHistoryManager
from audit.models import Action
from audit.record import Offices
from core.cached_rows import CachedRow
from core.fields import MobileField, NationalCodeField, PersianTextField
from core.queries import unique_row
from core.text import to_persian_digits
from policies.models import Relation


class Province(models.Model):
    code = models.CharField("کد استان", max_length=4, unique=True)
    name = PersianTextField("نام استان", max_length=100)

    class Meta:
        verbose_name = "استان"
        verbose_name_plural = "استان‌ها"
        ordering = ["name"]
        permissions = [("manage_province", "مدیریت استان (مدیران استان)")]

    def __str__(self) -> str:
        return self.name


class County(models.Model):
    code = models.CharField("کد شهرستان", max_length=8, unique=True)
    name = PersianTextField("نام شهرستان", max_length=100)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="counties", verbose_name="استان")

    class Meta:
        verbose_name = "شهرستان"
        verbose_name_plural = "شهرستان‌ها"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Kanoon(models.Model):
    """The pensioners' association of one county: reviews that county's requests (point 7)."""

    county = models.OneToOneField(County, on_delete=models.PROTECT, related_name="kanoon", verbose_name="شهرستان")
    name = PersianTextField("نام کانون", max_length=200)
    address = PersianTextField("نشانی", max_length=400, blank=True)
    phone = models.CharField("تلفن", max_length=20, blank=True)

    class Meta:
        verbose_name = "کانون بازنشستگان و مستمری‌بگیران"
        verbose_name_plural = "کانون‌های بازنشستگان و مستمری‌بگیران"
        ordering = ["name"]
        permissions = [
            ("review_kanoon_requests", "بررسی درخواست‌های کانون"),
            ("view_all_scopes", "دسترسی به همه کانون‌ها و شعب (مدیران و حسابرسان)"),
        ]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """A pension branch «شعبه»: pays pensions and carries accepted requests into the payroll."""

    code = models.CharField("کد شعبه", max_length=10, unique=True)
    name = PersianTextField("نام شعبه", max_length=200)
    address = PersianTextField("نشانی", max_length=400)
    phone = models.CharField("تلفن", max_length=20)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="branches", verbose_name="استان")

    class Meta:
        verbose_name = "شعبه"
        verbose_name_plural = "شعب"
        ordering = ["code"]
        permissions = [("process_branch_requests", "رسیدگی به درخواست‌های شعبه")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Gender(models.TextChoices):
    MALE = "male", "مرد"
    FEMALE = "female", "زن"


COUNTY_OFFICES_SECONDS = 3600
BRANCH_SECONDS = 3600


def _branch_read(branch_id: int) -> "Branch | None":
    return unique_row(Branch.objects.filter(pk=branch_id))


def _county_kanoon_read(county_id: int) -> "Kanoon | None":
    return unique_row(Kanoon.objects.filter(county_id=county_id))  # one Kanoon a county


_branches = CachedRow("branch", _branch_read, BRANCH_SECONDS)
_county_kanoons = CachedRow("county-kanoon", _county_kanoon_read, BRANCH_SECONDS)


def branch_cached(branch_id: int | None) -> "Branch | None":
    """A branch as the pensioner's pages name it (name, address, phone): a few hundred rows that change
    rarely, cached and forgotten when one is saved (enrollment.signals)."""
    return None if branch_id is None else _branches.get(branch_id)


def branch_forget(branch_id: int) -> None:
    _branches.forget([branch_id])


def kanoon_of_county(county_id: int) -> "Kanoon | None":
    """The Kanoon of a county, which reviews its pensioners' requests and which the wizard names: cached like
    branch_cached. A county without one is not cached: its Kanoon is found as soon as it is entered."""
    return _county_kanoons.get(county_id)


def kanoon_forget(kanoon_id: int, county_ids: Iterable[int | None]) -> None:
    """Forgets what is cached of a Kanoon saved or deleted, under the counties it was and is in: its county's
    Kanoon, those counties' offices in the log and its own province."""
    counties = {pk for pk in county_ids if pk is not None}
    _county_kanoons.forget(counties)
    cache.delete_many([_county_key(pk) for pk in counties] + [_kanoon_province_key(kanoon_id)])


def _county_key(county_id: int) -> str:
    return f"county-offices:{county_id}"


def county_offices(county_id: int) -> tuple[int | None, int | None]:
    """(province id, Kanoon id) of a county: the offices of its pensioners in the audit log. Cached: a few
    hundred counties, which do not move between provinces; forgotten when a Kanoon of theirs is saved or
    deleted (kanoon_forget)."""
    return county_offices_many([county_id])[county_id]


def county_offices_many(county_ids) -> dict[int, tuple[int | None, int | None]]:
    """county_offices of many counties: the ones not cached read in one query."""
    wanted = set(county_ids)
    found = cache.get_many([_county_key(pk) for pk in wanted])
    offices = {pk: tuple(found[_county_key(pk)]) for pk in wanted if _county_key(pk) in found}
    missing = wanted - offices.keys()
    if missing:
        rows = County.objects.filter(pk__in=missing).values_list("pk", "province_id", "kanoon__id")
        read = {pk: (province, kanoon) for pk, province, kanoon in rows}
        cache.set_many({_county_key(pk): value for pk, value in read.items()}, COUNTY_OFFICES_SECONDS)
        offices |= {pk: read.get(pk, (None, None)) for pk in missing}
    return offices


def _kanoon_province_key(kanoon_id: int) -> str:
    return f"kanoon-province:{kanoon_id}"


def kanoon_provinces(kanoon_ids) -> dict[int, int | None]:
    """The province of each Kanoon (by its county), cached like county_offices: a request's office in the log."""
    wanted = set(kanoon_ids)
    keys = {pk: _kanoon_province_key(pk) for pk in wanted}
    found = cache.get_many(list(keys.values()))
    provinces = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = wanted - provinces.keys()
    if missing:
        read = dict(Kanoon.objects.filter(pk__in=missing).values_list("pk", "county__province_id"))
        cache.set_many({keys[pk]: province for pk, province in read.items()}, COUNTY_OFFICES_SECONDS)
        provinces |= {pk: read.get(pk) for pk in missing}
    return provinces


def payroll_flag_action(old: dict | None, new: dict) -> str | None:
    """A change of the supplementary insurance flag on the payment method is the payroll's, named so."""
    if old is not None and old.get("has_supplementary") != new.get("has_supplementary"):
        return Action.PAYROLL_FLAG
    return None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Pensioner(models.Model):
    national_code = NationalCodeField(unique=True)
    pension_number = models.CharField("شماره مستمری", max_length=20, unique=True)
    first_name = PersianTextField("نام", max_length=100)
    last_name = PersianTextField("نام خانوادگی", max_length=100, db_index=True)
    father_name = PersianTextField("نام پدر", max_length=100, blank=True)
    birth_date = models.DateField("تاریخ تولد")
    gender = models.CharField("جنسیت", max_length=6, choices=Gender.choices)
    mobile = MobileField()
    paying_branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="pensioners", verbose_name="شعبه پرداخت‌کننده"
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="pensioners", verbose_name="شهرستان محل سکونت"
    )
    is_colleague = models.BooleanField("همکار", default=False, help_text="بازنشسته سازمان تأمین اجتماعی")
    file_active = models.BooleanField("پرونده فعال", default=True)
    has_supplementary = models.BooleanField("بیمه تکمیلی (نحوه پرداخت)", default=False)

    updated_at = models.DateTimeField("آخرین تغییر", auto_now=True)
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        history_change_reason_field=models.TextField(null=True),
        history_manager=AuditedHistoryManager,
    )

    class Meta:
        verbose_name = "مستمری‌بگیر"
        verbose_name_plural = "مستمری‌بگیران"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.national_code})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)

    def audit_facts(self) -> Facts:
        province_id, kanoon_id = county_offices(self.county_id)
        return Facts(
            label=f"مستمری‌بگیر {self.full_name} (کد ملی {to_persian_digits(self.national_code)})",
            offices=Offices(province_id=province_id, kanoon_id=kanoon_id, branch_id=self.paying_branch_id),
            national_code=self.national_code,
        )

    audit_action = staticmethod(payroll_flag_action)

    @classmethod
    def audit_prepare(cls, pensioners: list["Pensioner"]) -> None:
        county_offices_many(p.county_id for p in pensioners)


class Dependent(models.Model):
    """A person in the pensioner's care «فرد تبعی». Guardianship ended before today means not listed."""

    pensioner = models.ForeignKey(
        Pensioner, on_delete=models.CASCADE, related_name="dependents", verbose_name="مستمری‌بگیر"
    )
    national_code = NationalCodeField()
    first_name = PersianTextField("نام", max_length=100)
    last_name = PersianTextField("نام خانوادگی", max_length=100)
    relation = models.CharField("نسبت", max_length=10, choices=[c for c in Relation.choices if c[0] != Relation.SELF])
    gender = models.CharField("جنسیت", max_length=6, choices=Gender.choices)
    birth_date = models.DateField("تاریخ تولد")
    guardianship_end = models.DateField("تاریخ خاتمه کفالت", null=True, blank=True, help_text="خالی یعنی نامحدود")
    covered_elsewhere = models.BooleanField(
        "تحت پوشش در جای دیگر", default=False, help_text="همسر شاغل، بازنشسته یا تحت پوشش فرزند"
    )
    has_supplementary = models.BooleanField("بیمه تکمیلی (نحوه پرداخت)", default=False)

    updated_at = models.DateTimeField("آخرین تغییر", auto_now=True)
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        history_change_reason_field=models.TextField(null=True),
        history_manager=AuditedHistoryManager,
    )

    class Meta:
        verbose_name = "فرد تبعی"
        verbose_name_plural = "افراد تبعی"
        ordering = ["-pensioner_id", "-id"]  # on the dependent's own columns: no sort across the join
        indexes = [models.Index(fields=["national_code"], name="dependent_national_code")]
        constraints = [
            models.UniqueConstraint(fields=["pensioner", "national_code"], name="unique_dependent_per_pensioner")
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_relation_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def guardianship_current(self, day: dt.date) -> bool:
        return self.guardianship_end is None or self.guardianship_end >= day

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)

    def audit_facts(self) -> Facts:
        """The dependent's changes belong to the pensioner's file: their offices and national code."""
        pensioner = related(self, "pensioner")
        facts = pensioner.audit_facts()
        label = f"{self.get_relation_display()} {self.full_name} (کد ملی {to_persian_digits(self.national_code)})"
        return Facts(
            label=f"فرد تبعی {label}، مستمری‌بگیر {pensioner.full_name}",
            offices=facts.offices,
            national_code=pensioner.national_code,
        )

    audit_action = staticmethod(payroll_flag_action)

    @classmethod
    def audit_prepare(cls, dependents: list["Dependent"]) -> None:
        """What a set's facts read, read once for the set."""
        prefetch_related_objects(dependents, "pensioner")
        county_offices_many(d.pensioner.county_id for d in dependents)
