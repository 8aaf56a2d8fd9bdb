"""Carrying an accepted request into the payroll (directive point 12), inside the acceptance's transaction.

For each person of the request: the supplementary flag on the payment method changes (with history),
enrollments get a deduction document per kind of insurance at the period's rates, withdrawals end
their open documents at the end of the current month. Safe to run twice: it only moves what is not
already where it should be.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from simple_history.utils import bulk_update_with_history

from core import jalali
from enrollment.deductions.documents import document_new, documents_open
from enrollment.deductions.models import DeductionDocument, DeductionStatus
from enrollment.models import Dependent, EnrollmentRequest, Operation, Pensioner, RequestItem
from policies.models import ContractPeriod
from policies.selectors import rates_for_person

CHANGE_REASON = "اعمال درخواست پذیرفته‌شده {tracking_code} در نحوه پرداخت"


def deduction_first_month(*, period: ContractPeriod, accepted_on: dt.date) -> dt.date:
    """The contract's first month, or the month after acceptance when that is later."""
    return max(jalali.month_start(period.coverage_start), jalali.add_months(accepted_on, 1))


def payroll_apply(*, request: EnrollmentRequest, by: AbstractBaseUser | None, today: dt.date) -> None:
    items = list(request.items.select_related("dependent").exclude(operation=Operation.NONE))
    reason = CHANGE_REASON.format(tracking_code=request.tracking_code)
    _flags_apply(request=request, items=items, by=by, reason=reason)
    rates = list(request.period.rates.all())
    for item in items:
        if item.operation == Operation.ENROLL:
            _deductions_open(request=request, item=item, rates=rates, by=by, reason=reason, today=today)
        else:
            _deductions_end(request=request, item=item, by=by, reason=reason, today=today)


def _flags_apply(*, request: EnrollmentRequest, items: list[RequestItem], by, reason: str) -> None:
    # Read the flags under a lock: a copy held by the caller may be stale.
    pensioner = Pensioner.objects.select_for_update().get(pk=request.pensioner_id)
    dependents = Dependent.objects.select_for_update().in_bulk([i.dependent_id for i in items if i.dependent_id])
    main = next((item for item in items if item.dependent_id is None), None)
    if main and pensioner.has_supplementary != main.status_after:
        pensioner.has_supplementary = main.status_after
        bulk_update_with_history(
            [pensioner], Pensioner, ["has_supplementary"], default_user=by, default_change_reason=reason
        )
    changed = []
    for item in items:
        dependent = dependents.get(item.dependent_id)
        if dependent and dependent.has_supplementary != item.status_after:
            dependent.has_supplementary = item.status_after
            changed.append(dependent)
    if changed:
        bulk_update_with_history(
            changed, Dependent, ["has_supplementary"], default_user=by, default_change_reason=reason
        )


def _person_documents(request: EnrollmentRequest, item: RequestItem):
    return DeductionDocument.objects.filter(
        pensioner=request.pensioner, dependent=item.dependent, status=DeductionStatus.ACTIVE
    )


def _deductions_open(*, request, item: RequestItem, rates, by, reason: str, today: dt.date) -> None:
    person = item.dependent or request.pensioner
    age = person.age_on(today)
    already = set(_person_documents(request, item).filter(period=request.period).values_list("kind", flat=True))
    first_month = deduction_first_month(period=request.period, accepted_on=today)
    documents = [
        document_new(
            pensioner_id=request.pensioner_id,
            dependent_id=item.dependent_id,
            period=request.period,
            rate=rate,
            first_month=first_month,
            source_request=request,
        )
        for rate in rates_for_person(rates, relation=item.relation, age=age)
        if rate.kind not in already
    ]
    documents_open(documents, by=by, reason=reason)


def _deductions_end(*, request, item: RequestItem, by, reason: str, today: dt.date) -> None:
    current_month = jalali.month_start(today)
    for document in _person_documents(request, item):
        if document.first_month > current_month:
            document.status = DeductionStatus.CANCELLED  # never deducted: nothing to end
        else:
            document.status = DeductionStatus.ENDED
            document.last_month = current_month
        document._history_user = by
        document._change_reason = reason
        document.save(update_fields=["status", "last_month"])
