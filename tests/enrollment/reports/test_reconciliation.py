"""Reconciliation: nothing on a healthy demo after real acceptances; each planted fault found exactly
once, with the right kind."""

import datetime as dt

import pytest
from django.urls import reverse

from enrollment import workflow
from enrollment.deductions.models import DeductionDocument, DeductionStatus
from enrollment.models import Dependent, Operation, Pensioner, RejectionReason
from enrollment.reports.reconciliation import FindingKind, reconcile, reconciliation_counts
from policies.models import ContractPeriod, PremiumRate
from tests.enrollment.conftest import file_request
from tests.factories import ContractPeriodFactory

ACCEPTED_ON = dt.date(2026, 11, 25)  # 4 Azar 1405
URL = reverse("reports_dashboard:reconciliation")


def _accept(request, kanoon, branch, today=ACCEPTED_ON):
    workflow.request_kanoon_approve(request_id=request.pk, by=kanoon)
    return workflow.request_branch_accept(request_id=request.pk, by=branch, today=today)


@pytest.fixture
def period(world) -> ContractPeriod:
    return world


@pytest.fixture
def enrolled_a(submitted_a, kanoon_tehran, branch_tehran):
    return _accept(submitted_a, kanoon_tehran, branch_tehran)


@pytest.fixture
def withdrawn_b(pensioner_b, kanoon_karaj, branch_karaj):
    spouse = pensioner_b.dependents.get(relation="spouse")
    request = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(spouse.pk): Operation.WITHDRAW})
    return _accept(request, kanoon_karaj, branch_karaj, today=dt.date(2027, 1, 5))


@pytest.fixture
def healthy(enrolled_a, withdrawn_b):
    """The demo after real acceptances: A's family enrolled, B and spouse withdrew."""
    return enrolled_a, withdrawn_b


def _only(findings, kind):
    assert [finding.kind for finding in findings] == [kind], [f.explanation for f in findings]
    return findings[0]


def test_the_fresh_demo_is_healthy_carried_over_documents_included(period):
    assert DeductionDocument.objects.filter(source_request=None, status=DeductionStatus.ACTIVE).count() == 4
    assert reconcile(period) == []


def test_the_demo_after_real_acceptances_is_healthy(period, healthy):
    assert reconcile(period) == []
    assert reconciliation_counts(period) == dict.fromkeys(FindingKind.values, 0)


def test_a_later_accepted_request_overrides_an_earlier_one(period, enrolled_a, kanoon_tehran, branch_tehran):
    pensioner = Pensioner.objects.get(pk=enrolled_a.pensioner_id)
    operations = {"self": Operation.WITHDRAW}
    operations.update({str(d.pk): Operation.WITHDRAW for d in pensioner.dependents.filter(has_supplementary=True)})
    _accept(file_request(pensioner, operations), kanoon_tehran, branch_tehran)
    assert reconcile(period) == []  # the enrollment's flags and documents are undone by the withdrawal


def test_a_person_the_rates_do_not_cover_needs_no_document(period, submitted_a, kanoon_tehran, branch_tehran):
    PremiumRate.objects.filter(period=period, kind="life", relation="self").update(max_age=60)  # A is 68
    _accept(submitted_a, kanoon_tehran, branch_tehran)
    assert not DeductionDocument.objects.filter(dependent=None, source_request=submitted_a, kind="life").exists()
    assert reconcile(period) == []


@pytest.mark.parametrize("who", ["main", "child"])
def test_a_flag_not_flipped_is_found_once(period, healthy, who):
    enrolled_a, _ = healthy
    if who == "main":
        Pensioner.objects.filter(pk=enrolled_a.pensioner_id).update(has_supplementary=False)
    else:
        Dependent.objects.filter(pensioner_id=enrolled_a.pensioner_id, relation="child").update(has_supplementary=False)
    finding = _only(reconcile(period), FindingKind.FLAG_NOT_FLIPPED)
    assert finding.request_id == enrolled_a.pk
    assert "ندارد" in finding.explanation


def test_a_withdrawal_whose_flag_stayed_on_is_found_once(period, healthy):
    _, withdrawn_b = healthy
    Dependent.objects.filter(pensioner_id=withdrawn_b.pensioner_id).update(has_supplementary=True)
    finding = _only(reconcile(period), FindingKind.FLAG_NOT_FLIPPED)
    assert finding.request_id == withdrawn_b.pk and finding.person == "زهرا کریمی"


def test_a_missing_deduction_is_found_once(period, healthy):
    enrolled_a, _ = healthy
    DeductionDocument.objects.filter(source_request=enrolled_a, dependent__relation="child").delete()
    finding = _only(reconcile(period), FindingKind.DEDUCTION_MISSING)
    assert finding.request_id == enrolled_a.pk and finding.person == "علی احمدی"
    assert "بیمه تکمیلی درمان" in finding.explanation


def test_a_deduction_ended_without_a_withdrawal_counts_as_missing(period, healthy):
    enrolled_a, _ = healthy
    DeductionDocument.objects.filter(source_request=enrolled_a, dependent=None, kind="life").update(
        status=DeductionStatus.ENDED, last_month=dt.date(2027, 2, 20)
    )
    finding = _only(reconcile(period), FindingKind.DEDUCTION_MISSING)
    assert "بیمه عمر" in finding.explanation


def test_a_duplicated_deduction_is_found_once(period, healthy):
    """The previous period's document was never ended: the same premium is deducted twice from Dey on."""
    enrolled_a, _ = healthy
    previous = ContractPeriodFactory(
        is_active=False, coverage_start=dt.date(2025, 11, 22), coverage_end=dt.date(2026, 11, 21)
    )
    kept = DeductionDocument.objects.create(
        pensioner_id=enrolled_a.pensioner_id,
        period=previous,
        kind="health",
        monthly_amount=6_000_000,
        first_month=dt.date(2025, 11, 22),
    )
    finding = _only(reconcile(period), FindingKind.DEDUCTION_DUPLICATED)
    duplicate = DeductionDocument.objects.get(source_request=enrolled_a, dependent=None, kind="health")
    assert finding.document_id == duplicate.pk
    assert f"سند {_fa(kept.pk)}" in finding.explanation


def test_a_deduction_not_ended_after_a_withdrawal_is_found_once(period, healthy):
    _, withdrawn_b = healthy
    left = DeductionDocument.objects.filter(pensioner_id=withdrawn_b.pensioner_id, dependent=None, kind="health")
    left.update(status=DeductionStatus.ACTIVE, last_month=None)
    finding = _only(reconcile(period), FindingKind.DEDUCTION_NOT_ENDED)
    assert finding.document_id == left.get().pk and finding.request_id == withdrawn_b.pk


def test_a_deduction_without_a_request_is_found_once(period, healthy, pensioner_a):
    """Pensioner C, the colleague, was never insured; a document from the first month looks carried over,
    but nobody is insured to carry."""
    colleague = Pensioner.objects.get(national_code="0010000038")
    planted = DeductionDocument.objects.create(
        pensioner=colleague, period=period, kind="health", monthly_amount=7_500_000, first_month=period.coverage_start
    )
    finding = _only(reconcile(period), FindingKind.DEDUCTION_ORPHAN)
    assert finding.document_id == planted.pk and finding.request_id is None


def test_a_deduction_whose_request_was_rejected_is_found_once(period, withdrawn_b, submitted_a, kanoon_tehran):
    """Pensioner A's request is rejected by the Kanoon; a document pointing at it is an orphan."""
    workflow.request_kanoon_reject(request_id=submitted_a.pk, by=kanoon_tehran, reason_code=RejectionReason.OTHER)
    planted = DeductionDocument.objects.create(
        pensioner_id=submitted_a.pensioner_id,
        period=period,
        kind="health",
        monthly_amount=7_500_000,
        first_month=dt.date(2026, 12, 22),
        source_request=submitted_a,
    )
    finding = _only(reconcile(period), FindingKind.DEDUCTION_ORPHAN)
    assert finding.document_id == planted.pk and finding.request_id == submitted_a.pk
    assert "مختومه - عدم تایید کانون" in finding.explanation


def test_every_fault_at_once_is_counted_by_kind(period, healthy):
    enrolled_a, withdrawn_b = healthy
    Pensioner.objects.filter(pk=enrolled_a.pensioner_id).update(has_supplementary=False)
    DeductionDocument.objects.filter(source_request=enrolled_a, dependent__relation="child").delete()
    DeductionDocument.objects.filter(pensioner_id=withdrawn_b.pensioner_id, dependent=None, kind="life").update(
        status=DeductionStatus.ACTIVE, last_month=None
    )
    counts = reconciliation_counts(period)
    assert counts[FindingKind.FLAG_NOT_FLIPPED] == 1
    assert counts[FindingKind.DEDUCTION_MISSING] == 1
    assert counts[FindingKind.DEDUCTION_NOT_ENDED] == 1
    assert sum(counts.values()) == 3 == len(reconcile(period))


def test_the_findings_page_lists_them_for_managers(client, period, healthy, manager):
    enrolled_a, _ = healthy
    Pensioner.objects.filter(pk=enrolled_a.pensioner_id).update(has_supplementary=False)
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["total"] == 1
    page = response.content.decode()
    assert 'data-kind="flag_not_flipped"' in page and _fa(enrolled_a.tracking_code) in page


@pytest.mark.parametrize("who", ["kanoon_tehran", "branch_tehran"])
def test_the_findings_page_does_not_exist_for_office_staff(client, period, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404


def _fa(value) -> str:
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
