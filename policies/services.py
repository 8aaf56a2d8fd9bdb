"""Everything that changes a contract period (directive point 15): the next period made from the current
one, activation, closing the window, and guarded edits of rules and rates (the announcement of a
window is portal.announcements).

Each function is keyword-only, runs in one transaction and writes simple-history rows with the acting
user and a Persian reason. A refusal raises ValidationError with a Persian message and changes nothing.

Once a period has submitted requests (they accepted its terms), its rules, coverage and rates are frozen;
deduction documents (they charge its rates) freeze its coverage and rates (see policies.models). A change
is then a new terms version (`terms_version_add`) or a new period.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

import jdatetime
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import jalali
from policies.current import period_current_forget
from policies.models import RATE_FIELDS, RULE_FIELDS, ContractPeriod, PremiumRate, TermsVersion
from policies.selectors import terms_current

# What the next period inherits; managers then edit its rates and rules before its window opens. The
# directive reference is left empty: each period has a directive of its own.
COPIED_FIELDS = ("insurer", *RULE_FIELDS, "kanoon_target_days", "branch_target_days")


def contract_end(start: dt.date) -> dt.date:
    """The last day of a one-year contract beginning on `start`: 1 Azar 1405 → 30 Aban 1406."""
    j = jalali.to_jalali(start)
    next_start = jdatetime.date(j.year + 1, j.month, 1).togregorian() + dt.timedelta(days=j.day - 1)
    return next_start - dt.timedelta(days=1)


@transaction.atomic
def period_next_create(
    *,
    current: ContractPeriod,
    by: AbstractBaseUser | None,
    title: str,
    window_opens_at: dt.datetime,
    window_closes_at: dt.datetime,
) -> ContractPeriod:
    """The period after `current`, not active: its rules, every premium rate and the current terms text
    (as version 1) copied, coverage one contract year from the day after `current` ends."""
    current = ContractPeriod.objects.select_for_update().get(pk=current.pk)  # one next period, even on a double click
    coverage_start = current.coverage_end + dt.timedelta(days=1)
    existing = ContractPeriod.objects.filter(coverage_start=coverage_start).first()
    if existing:
        raise ValidationError(f"دوره بعد از «{current.title}» پیش‌تر ساخته شده است: «{existing.title}».")
    period = ContractPeriod(
        title=title.strip(),
        coverage_start=coverage_start,
        coverage_end=contract_end(coverage_start),
        window_opens_at=window_opens_at,
        window_closes_at=window_closes_at,
        is_active=False,
        **{name: getattr(current, name) for name in COPIED_FIELDS},
    )
    period.full_clean()
    reason = f"ساخته‌شده از روی دوره «{current.title}»"
    period._history_user = by
    period._change_reason = reason
    period.save()
    rates = [
        PremiumRate(period=period, **{name: getattr(rate, name) for name in RATE_FIELDS})
        for rate in current.rates.all()
    ]
    bulk_create_with_history(rates, PremiumRate, default_user=by, default_change_reason=reason)
    terms = terms_current(period=current)
    if terms:
        TermsVersion.objects.create(period=period, version=1, text=terms.text)
    return period


@transaction.atomic
def period_activate(*, period: ContractPeriod, by: AbstractBaseUser | None) -> ContractPeriod:
    """Makes `period` the one active period; the period active until now stops being so in the same
    transaction."""
    # A period a year: locking them all is cheap and makes two activations wait for each other.
    periods = list(ContractPeriod.objects.select_for_update().order_by("pk"))
    target = next(p for p in periods if p.pk == period.pk)
    if target.is_active:
        raise ValidationError(f"دوره «{target.title}» هم‌اکنون دوره جاری است.")
    if not target.terms.exists() or not target.rates.exists():
        raise ValidationError(
            f"پیش از فعال کردن دوره «{target.title}»، متن شرایط قرارداد و نرخ‌های حق بیمه آن را ثبت کنید."
        )
    for other in periods:
        if other.is_active:
            other.is_active = False
            _save(other, ["is_active"], by=by, reason=f"خروج از حالت جاری؛ دوره «{target.title}» دوره جاری شد")
    target.is_active = True
    _save(target, ["is_active"], by=by, reason="فعال شدن به‌عنوان دوره جاری")
    return target


@transaction.atomic
def period_close(*, period: ContractPeriod, by: AbstractBaseUser | None) -> ContractPeriod:
    """No more submissions: the window closes now. The period, its requests and documents stay as they are."""
    period = ContractPeriod.objects.select_for_update().get(pk=period.pk)
    now = timezone.now()
    if period.window_closes_at <= now:
        raise ValidationError(f"مهلت ثبت درخواست دوره «{period.title}» پیش‌تر بسته شده است.")
    if period.window_opens_at >= now:
        raise ValidationError(
            f"مهلت ثبت درخواست دوره «{period.title}» هنوز آغاز نشده است؛ به‌جای بستن، تاریخ‌های مهلت را ویرایش کنید."
        )
    planned = jalali.format_datetime(period.window_closes_at)
    period.window_closes_at = now
    _save(period, ["window_closes_at"], by=by, reason=f"بستن مهلت ثبت درخواست (پایان تعیین‌شده: {planned})")
    return period


# --- Locks: stamped once by what freezes a period or a terms version ---------------------------------


def period_contract_lock(period: ContractPeriod) -> None:
    """A request of the period was submitted: its rules, coverage and rates are frozen from now on.
    Free once stamped when `period` was loaded after the stamp (the workflow loads it with the request)."""
    if period.contract_locked_at is None:
        now = timezone.now()
        ContractPeriod.objects.filter(pk=period.pk, contract_locked_at__isnull=True).update(contract_locked_at=now)
        period.contract_locked_at = now  # this copy need not ask again


def period_charges_lock(period_ids: Iterable[int]) -> None:
    """Deduction documents charge these periods' rates (or a rollover is about to): their coverage and
    rates are frozen. One UPDATE, which changes nothing for a period already stamped."""
    ContractPeriod.objects.filter(pk__in=set(period_ids), charges_locked_at__isnull=True).update(
        charges_locked_at=timezone.now()
    )


def terms_version_lock(terms: TermsVersion) -> None:
    """A pensioner accepted this text in step 1: it is never edited from now on."""
    if terms.accepted_at is None:
        now = timezone.now()
        TermsVersion.objects.filter(pk=terms.pk, accepted_at__isnull=True).update(accepted_at=now)
        terms.accepted_at = now
        period_current_forget()  # the cached terms carry the stamp from now on: no UPDATE on every step 1


# --- Guarded edits, for every code path other than the admin forms (which run the same model checks) --


def period_rates_guard(*, period: ContractPeriod) -> None:
    """Refuses, in Persian, any change of the period's rates once requests accepted or documents charge them."""
    locked = period.charges_locked_reason()
    if locked:
        raise ValidationError(locked)


@transaction.atomic
def period_update(
    *, period: ContractPeriod, by: AbstractBaseUser | None, changes: Mapping[str, object], reason: str
) -> ContractPeriod:
    """Changes fields of a period; rules and coverage only while they are not frozen (ContractPeriod.clean)."""
    period = ContractPeriod.objects.select_for_update().get(pk=period.pk)
    for name, value in changes.items():
        setattr(period, name, value)
    period.full_clean()  # ContractPeriod.clean refuses frozen fields
    _save(period, list(changes), by=by, reason=reason)
    return period


@transaction.atomic
def premium_rate_update(
    *, rate: PremiumRate, by: AbstractBaseUser | None, changes: Mapping[str, object], reason: str
) -> PremiumRate:
    rate = PremiumRate.objects.select_related("period").get(pk=rate.pk)
    period_rates_guard(period=rate.period)
    for name, value in changes.items():
        setattr(rate, name, value)
    rate.full_clean()
    _save(rate, list(changes), by=by, reason=reason)
    return rate


@transaction.atomic
def terms_version_add(*, period: ContractPeriod, text: str) -> TermsVersion:
    """A new version of the period's terms: always allowed, since accepted versions stay as they were.
    New drafts show it in step 1 from now on."""
    period = ContractPeriod.objects.select_for_update().get(pk=period.pk)  # the next number, once
    latest = terms_current(period=period)
    terms = TermsVersion(period=period, version=(latest.version + 1) if latest else 1, text=text.strip())
    terms.full_clean()
    terms.save()
    return terms


def _save(obj: ContractPeriod | PremiumRate, fields: list[str], *, by: AbstractBaseUser | None, reason: str) -> None:
    obj._history_user = by
    obj._change_reason = reason
    obj.save(update_fields=fields)
