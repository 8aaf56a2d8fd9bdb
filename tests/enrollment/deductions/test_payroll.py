"""Acceptance into the payroll (point 12): flags with history, deduction documents, idempotency."""

import datetime as dt

import pytest

from enrollment import workflow
from enrollment.deductions.models import DeductionDocument, DeductionStatus
from enrollment.deductions.payroll import deduction_first_month, payroll_apply
from enrollment.models import Operation
from policies.models import ContractPeriod
from tests.enrollment.conftest import file_request

ACCEPTED_ON = dt.date(2026, 11, 25)  # 4 Azar 1405: the month after is Dey 1405, which starts 2026-12-22


def _accept(request, kanoon, branch, today=ACCEPTED_ON):
    workflow.request_kanoon_approve(request_id=request.pk, by=kanoon)
    return workflow.request_branch_accept(request_id=request.pk, by=branch, today=today)


def test_first_month_is_the_month_after_acceptance_or_the_contracts_first(world):
    period = ContractPeriod.objects.get(is_active=True)
    assert deduction_first_month(period=period, accepted_on=ACCEPTED_ON) == dt.date(2026, 12, 22)
    early = period.coverage_start - dt.timedelta(days=40)
    assert deduction_first_month(period=period, accepted_on=early) == period.coverage_start


def test_acceptance_flips_every_flag_with_history_naming_the_branch_user(submitted_a, kanoon_tehran, branch_tehran):
    _accept(submitted_a, kanoon_tehran, branch_tehran)
    pensioner = submitted_a.pensioner
    pensioner.refresh_from_db()
    assert pensioner.has_supplementary
    enrolled = [item.dependent for item in submitted_a.items.exclude(dependent=None)]
    assert len(enrolled) == 2 and all(d.__class__.objects.get(pk=d.pk).has_supplementary for d in enrolled)
    record = pensioner.history.order_by("-history_id").first()
    assert record.history_user == branch_tehran
    assert submitted_a.tracking_code in record.history_change_reason
    for dependent in enrolled:
        assert dependent.history.order_by("-history_id").first().history_user == branch_tehran


def test_acceptance_creates_one_document_per_person_and_kind_at_the_insured_share(
    submitted_a, kanoon_tehran, branch_tehran
):
    _accept(submitted_a, kanoon_tehran, branch_tehran)
    documents = DeductionDocument.objects.filter(source_request=submitted_a)
    # pensioner: health + life; spouse: health + life; child: health only
    assert sorted((d.dependent.relation if d.dependent else "self", d.kind) for d in documents) == [
        ("child", "health"),
        ("self", "health"),
        ("self", "life"),
        ("spouse", "health"),
        ("spouse", "life"),
    ]
    main_health = documents.get(dependent=None, kind="health")
    assert main_health.monthly_amount == 7_500_000  # aged 68: 12,500,000 full - 5,000,000 subsidy
    assert main_health.first_month == dt.date(2026, 12, 22) and main_health.last_month is None
    assert documents.get(dependent__relation="child").monthly_amount == 6_000_000
    assert all(d.status == DeductionStatus.ACTIVE for d in documents)


def test_running_the_payroll_twice_doubles_nothing(submitted_a, kanoon_tehran, branch_tehran):
    _accept(submitted_a, kanoon_tehran, branch_tehran)
    documents = DeductionDocument.objects.count()
    history = submitted_a.pensioner.history.count()
    payroll_apply(request=submitted_a, by=branch_tehran, today=ACCEPTED_ON)
    assert DeductionDocument.objects.count() == documents
    assert submitted_a.pensioner.history.count() == history


def test_accepting_twice_is_refused(submitted_a, kanoon_tehran, branch_tehran):
    _accept(submitted_a, kanoon_tehran, branch_tehran)
    with pytest.raises(workflow.MoveRefused):
        workflow.request_branch_accept(request_id=submitted_a.pk, by=branch_tehran, today=ACCEPTED_ON)
    assert DeductionDocument.objects.filter(source_request=submitted_a).count() == 5


def test_withdrawal_ends_open_documents_at_the_end_of_the_current_month(pensioner_b, kanoon_karaj, branch_karaj):
    spouse = pensioner_b.dependents.get(relation="spouse")
    request = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(spouse.pk): Operation.WITHDRAW})
    open_before = list(DeductionDocument.objects.filter(pensioner=pensioner_b, status="active"))
    assert len(open_before) == 4
    _accept(request, kanoon_karaj, branch_karaj, today=dt.date(2027, 1, 5))  # 15 Dey 1405
    pensioner_b.refresh_from_db()
    spouse.refresh_from_db()
    assert not pensioner_b.has_supplementary and not spouse.has_supplementary
    for document in open_before:
        document.refresh_from_db()
        assert document.status == DeductionStatus.ENDED
        assert document.last_month == dt.date(2026, 12, 22)  # Dey 1405 is the last month deducted
    assert not DeductionDocument.objects.filter(pensioner=pensioner_b, status="active").exists()
    record = open_before[0].history.order_by("-history_id").first()
    assert record.history_user == branch_karaj and request.tracking_code in record.history_change_reason


def test_a_document_that_never_started_is_cancelled_not_ended(submitted_a, kanoon_tehran, branch_tehran):
    _accept(submitted_a, kanoon_tehran, branch_tehran)  # deductions start in Dey
    pensioner = submitted_a.pensioner
    pensioner.refresh_from_db()
    operations = {"self": Operation.WITHDRAW}
    operations.update({str(d.pk): Operation.WITHDRAW for d in pensioner.dependents.filter(has_supplementary=True)})
    withdrawal = file_request(pensioner, operations)
    _accept(withdrawal, kanoon_tehran, branch_tehran)  # still in Azar
    statuses = set(DeductionDocument.objects.filter(source_request=submitted_a).values_list("status", flat=True))
    assert statuses == {DeductionStatus.CANCELLED}
