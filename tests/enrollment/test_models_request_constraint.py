import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from enrollment.models import EnrollmentRequest, RequestItem, RequestStatus
from tests.factories import ContractPeriodFactory, EnrollmentRequestFactory, PensionerFactory

pytestmark = pytest.mark.django_db


def test_a_second_open_request_in_the_same_period_is_refused_by_the_database():
    first = EnrollmentRequestFactory(status=RequestStatus.KANOON_REVIEW)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentRequestFactory(pensioner=first.pensioner, period=first.period, status=RequestStatus.DRAFT)
    assert EnrollmentRequest.objects.filter(pensioner=first.pensioner).count() == 1


def test_an_update_that_reopens_a_closed_request_beside_an_open_one_is_refused_too():
    closed = EnrollmentRequestFactory(status=RequestStatus.KANOON_REJECTED)
    EnrollmentRequestFactory(pensioner=closed.pensioner, period=closed.period, status=RequestStatus.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentRequest.objects.filter(pk=closed.pk).update(status=RequestStatus.BRANCH_REVIEW)


@pytest.mark.parametrize(
    "closed_status",
    [RequestStatus.KANOON_REJECTED, RequestStatus.BRANCH_REJECTED, RequestStatus.ACCEPTED, RequestStatus.CANCELLED],
)
def test_closed_requests_do_not_block_a_new_one(closed_status):
    closed = EnrollmentRequestFactory(status=closed_status)
    EnrollmentRequestFactory(pensioner=closed.pensioner, period=closed.period, status=RequestStatus.DRAFT)
    assert EnrollmentRequest.objects.filter(pensioner=closed.pensioner).count() == 2


def test_the_same_pensioner_may_have_an_open_request_in_another_period():
    first = EnrollmentRequestFactory(status=RequestStatus.KANOON_REVIEW)
    first.period.is_active = False
    first.period.save()
    other_period = ContractPeriodFactory()
    EnrollmentRequestFactory(pensioner=first.pensioner, period=other_period)
    assert first.pensioner.requests.count() == 2


def test_model_validation_names_the_open_request_rule_in_persian():
    first = EnrollmentRequestFactory()
    duplicate = EnrollmentRequest(
        pensioner=first.pensioner, period=first.period, kanoon=first.kanoon, branch=first.branch
    )
    with pytest.raises(ValidationError) as error:
        duplicate.validate_constraints()
    assert "یک درخواست باز" in str(error.value)


def test_tracking_codes_are_twelve_digits_and_distinct():
    period = ContractPeriodFactory()
    codes = {EnrollmentRequestFactory(pensioner=PensionerFactory(), period=period).tracking_code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 12 and code.isdigit() and code[0] != "0" for code in codes)


def test_one_item_per_person_in_a_request():
    request = EnrollmentRequestFactory()
    RequestItem.objects.create(request=request, relation="self", status_before=False, status_after=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        RequestItem.objects.create(request=request, relation="self", status_before=False, status_after=True)
