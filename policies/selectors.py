"""Reading the contract period a page needs."""

import datetime as dt

from policies.current import CurrentPeriod, period_current
from policies.models import ContractPeriod, PremiumRate, TermsVersion


def period_active() -> ContractPeriod | None:
    return ContractPeriod.objects.filter(is_active=True).first()


def period_accepting_submissions(at: dt.datetime | None = None) -> ContractPeriod | None:
    """The active period if its submission window is open at `at` (default now), else None. From the
    cached current period (policies.current): no query on a wizard step."""
    current = period_current()
    if current is None or not current.accepts_submissions(at):
        return None
    return current.period


def _cached_current(period: ContractPeriod) -> CurrentPeriod | None:
    """The cached current period when `period` is it, else None (then read the database)."""
    current = period_current()
    return current if current is not None and current.period.pk == period.pk else None


def terms_of(period: ContractPeriod) -> TermsVersion | None:
    """terms_current, from the cache when `period` is the current one."""
    current = _cached_current(period)
    return current.terms if current else terms_current(period=period)


def rates_of(period: ContractPeriod) -> list[PremiumRate]:
    """The period's rates, from the cache when `period` is the current one."""
    current = _cached_current(period)
    return list(current.rates) if current else list(period.rates.all())


def terms_current(*, period: ContractPeriod) -> TermsVersion | None:
    return period.terms.order_by("-version").first()


def period_previous(*, period: ContractPeriod) -> ContractPeriod | None:
    """The period whose coverage ended last before `period`'s began: whose insured it carries on."""
    return ContractPeriod.objects.filter(coverage_end__lt=period.coverage_start).order_by("-coverage_end").first()


# --- Premium-rate lookups over a period's rates, loaded once by the caller ------------------------------


def rate_for(rates: list[PremiumRate], *, kind: str, relation: str, age: int) -> PremiumRate | None:
    return next((r for r in rates if r.kind == kind and r.relation == relation and r.covers_age(age)), None)


def rates_for_person(rates: list[PremiumRate], *, relation: str, age: int) -> list[PremiumRate]:
    """The rate of each kind of insurance (health, life) the period sets for this relation and age."""
    return [r for r in rates if r.relation == relation and r.covers_age(age)]
