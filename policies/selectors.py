"""Reading the contract period a page needs."""

import datetime as dt

from django.utils import timezone

from policies.models import ContractPeriod, PremiumRate, TermsVersion


def period_active() -> ContractPeriod | None:
    return ContractPeriod.objects.filter(is_active=True).first()


def period_accepting_submissions(at: dt.datetime | None = None) -> ContractPeriod | None:
    """The active period if its submission window is open at `at` (default now), else None."""
    moment = at or timezone.now()
    return ContractPeriod.objects.filter(
        is_active=True, window_opens_at__lte=moment, window_closes_at__gt=moment
    ).first()


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
