"""Reading the contract period a page needs."""

import datetime as dt

from django.utils import timezone

from policies.models import ContractPeriod, TermsVersion


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
