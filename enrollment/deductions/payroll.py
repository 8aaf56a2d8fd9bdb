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
from policies.models import ContractPeriod, PremiumRate
from policies.selectors import rates_for_person

CHANGE_REASON = "اعمال درخواست پذیرفته‌شده {tracking_code} در نحوه پرداخت"


def deduction_first_month(*, period: ContractPeriod, accepted_on: dt.date) -> dt.date:
    """The contract's first month, or the month after acceptance when that is later."""
    return max(jalali.month_start(period.coverage_start), jalali.add_months(accepted_on, 1))


def payroll_apply(*, request: EnrollmentRequest, by: AbstractBaseUser | None, today: dt.date) -> None:
    payroll_apply_set(requests=[request], by=by, today=today)


def payroll_apply_set(*, requests: list[EnrollmentRequest], by: AbstractBaseUser | None, today: dt.date) -> None:
    """The payroll of many accepted requests at once, in a few queries whatever their number.

    One construction for one request and for a set, so a set writes exactly the flags, flag history
    and documents that accepting its requests one by one writes. Requests are taken in order; the
    people each touches are read (flags under a lock) once for all of them.
    """
    if not requests:
        return
    items = _items_of(requests)
    reasons = {request.pk: CHANGE_REASON.format(tracking_code=request.tracking_code) for request in requests}
    _flags_apply(requests=requests, items=items, by=by, reasons=reasons)
    rates = _rates_of(requests)
    active = _active_documents(requests)
    opened, ended = [], []
    for request in requests:
        for item in items.get(request.pk, []):
            documents = active.setdefault((request.pensioner_id, item.dependent_id), [])
            if item.operation == Operation.ENROLL:
                new = _documents_new(
                    request=request, item=item, rates=rates[request.period_id], active=documents, today=today
                )
                documents.extend(new)
                opened += _with_history(new, by=by, reason=reasons[request.pk])
            else:
                ended += _with_history(_documents_end(documents, today=today), by=by, reason=reasons[request.pk])
                documents.clear()
    documents_open(opened, by=by, reason="")
    if ended:
        bulk_update_with_history(ended, DeductionDocument, ["status", "last_month"], default_user=by)


def _items_of(requests: list[EnrollmentRequest]) -> dict[int, list[RequestItem]]:
    items: dict[int, list[RequestItem]] = {}
    queryset = (
        RequestItem.objects.filter(request__in=[request.pk for request in requests])
        .exclude(operation=Operation.NONE)
        .select_related("dependent")
        .order_by("request_id", "pk")
    )
    for item in queryset:
        items.setdefault(item.request_id, []).append(item)
    return items


def _with_history(objects: list, *, by, reason: str) -> list:
    """Who and why on each object, for the history rows written in bulk with it."""
    for obj in objects:
        obj._history_user = by
        obj._change_reason = reason
    return objects


def _flags_apply(*, requests: list[EnrollmentRequest], items: dict[int, list[RequestItem]], by, reasons) -> None:
    # Read the flags under a lock: a copy held by the caller may be stale.
    pensioners = Pensioner.objects.select_for_update().in_bulk([request.pensioner_id for request in requests])
    dependent_ids = [item.dependent_id for its in items.values() for item in its if item.dependent_id]
    dependents = Dependent.objects.select_for_update().in_bulk(dependent_ids)
    changed_pensioners, changed_dependents = [], []
    for request in requests:
        for item in items.get(request.pk, []):
            person = dependents.get(item.dependent_id) if item.dependent_id else pensioners[request.pensioner_id]
            if person is None or person.has_supplementary == item.status_after:
                continue
            person.has_supplementary = item.status_after
            changed = changed_dependents if item.dependent_id else changed_pensioners
            changed.append(_with_history([person], by=by, reason=reasons[request.pk])[0])
    for model, changed in [(Pensioner, changed_pensioners), (Dependent, changed_dependents)]:
        if changed:
            bulk_update_with_history(changed, model, ["has_supplementary"], default_user=by)


def _rates_of(requests: list[EnrollmentRequest]) -> dict[int, list[PremiumRate]]:
    rates: dict[int, list[PremiumRate]] = {request.period_id: [] for request in requests}
    for rate in PremiumRate.objects.filter(period_id__in=list(rates)):
        rates[rate.period_id].append(rate)
    return rates


def _active_documents(requests: list[EnrollmentRequest]) -> dict[tuple[int, int | None], list[DeductionDocument]]:
    """The open documents of the requests' pensioners and their dependents, by (pensioner, dependent)."""
    documents: dict[tuple[int, int | None], list[DeductionDocument]] = {}
    queryset = DeductionDocument.objects.filter(
        pensioner_id__in={request.pensioner_id for request in requests}, status=DeductionStatus.ACTIVE
    ).order_by("-id")
    for document in queryset:
        documents.setdefault((document.pensioner_id, document.dependent_id), []).append(document)
    return documents


def _documents_new(
    *, request: EnrollmentRequest, item: RequestItem, rates: list[PremiumRate], active, today: dt.date
) -> list[DeductionDocument]:
    person = item.dependent or request.pensioner
    age = person.age_on(today)
    already = {document.kind for document in active if document.period_id == request.period_id}
    first_month = deduction_first_month(period=request.period, accepted_on=today)
    return [
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


def _documents_end(documents: list[DeductionDocument], *, today: dt.date) -> list[DeductionDocument]:
    """Withdrawal: each open document ends with the current month, or is cancelled if never deducted."""
    current_month = jalali.month_start(today)
    for document in documents:
        if document.first_month > current_month:
            document.status = DeductionStatus.CANCELLED  # never deducted: nothing to end
        else:
            document.status = DeductionStatus.ENDED
            document.last_month = current_month
    return list(documents)
