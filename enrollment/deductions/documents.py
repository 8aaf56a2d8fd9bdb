"""The one construction of a premium deduction document, for acceptance and for the rollover alike,
and the one way new documents are written: with their history rows.

The period a document charges is frozen before it is written: on acceptance the request's submission
froze it already (policies.services.period_contract_lock); the rollover stamps the new period before
its first batch (period_charges_lock)."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from simple_history.utils import bulk_create_with_history

from enrollment.deductions.models import DeductionDocument
from enrollment.models import EnrollmentRequest
from policies.models import ContractPeriod, PremiumRate


def document_new(
    *,
    pensioner_id: int,
    dependent_id: int | None,
    period: ContractPeriod,
    rate: PremiumRate,
    first_month: dt.date,
    source_request: EnrollmentRequest | None = None,
) -> DeductionDocument:
    """An unsaved document charging the person `rate`'s share from `first_month`, open-ended."""
    return DeductionDocument(
        pensioner_id=pensioner_id,
        dependent_id=dependent_id,
        period=period,
        kind=rate.kind,
        monthly_amount=rate.insured_share,
        first_month=first_month,
        source_request=source_request,
    )


def documents_open(documents: list[DeductionDocument], *, by: AbstractBaseUser | None, reason: str) -> None:
    """Writes new documents and a history row each (who, why)."""
    if documents:
        bulk_create_with_history(documents, DeductionDocument, default_user=by, default_change_reason=reason)
