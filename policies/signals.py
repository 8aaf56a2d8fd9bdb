"""A change to a period, a terms version or a rate forgets the cached current period (current.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from policies.current import period_current_forget
from policies.models import ContractPeriod, PremiumRate, TermsVersion


@receiver([post_save, post_delete], sender=ContractPeriod)
@receiver([post_save, post_delete], sender=TermsVersion)
@receiver([post_save, post_delete], sender=PremiumRate)
def _forget(**kwargs) -> None:
    period_current_forget()
