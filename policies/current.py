"""The active contract period with its newest terms and its rates: the same for every pensioner, read on
every wizard step, so kept in memory rather than asked of the database each time.

Two levels: this process keeps it for LOCAL_SECONDS, the shared cache (Redis in production) for
SHARED_SECONDS. Any save or delete of a period, a terms version or a rate forgets both (signals.py, and
the services that stamp with a queryset update), so this process sees a change at once and every other
within LOCAL_SECONDS. Whatever decides for good reads the database again: the submission re-checks
the window and the terms against the locked request's own period row.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from policies.models import ContractPeriod, PremiumRate, TermsVersion

KEY = "policies:current-period:v1"
LOCAL_SECONDS = 5
SHARED_SECONDS = 300
_local: dict[str, tuple[float, object]] = {}


@dataclass(frozen=True)
class CurrentPeriod:
    period: ContractPeriod
    terms: TermsVersion | None  # the newest version: what step 1 shows and a submission must have accepted
    rates: tuple[PremiumRate, ...]

    def accepts_submissions(self, at=None) -> bool:
        return self.period.accepts_submissions(at or timezone.now())


def period_current() -> CurrentPeriod | None:
    """The active period (whether or not its window is open now), or None when no period is active."""
    now = time.monotonic()
    kept = _local.get(KEY)
    if kept and now - kept[0] < LOCAL_SECONDS:
        return kept[1]
    shared = cache.get(KEY)
    if shared is None:
        shared = (_read(),)  # a tuple: "no active period" is kept too
        cache.set(KEY, shared, SHARED_SECONDS)
    _local[KEY] = (now, shared[0])
    return shared[0]


def period_current_forget() -> None:
    _local.pop(KEY, None)
    cache.delete(KEY)


def _read() -> CurrentPeriod | None:
    period = ContractPeriod.objects.filter(is_active=True).first()
    if period is None:
        return None
    terms = period.terms.order_by("-version").first()
    return CurrentPeriod(period=period, terms=terms, rates=tuple(period.rates.all()))
