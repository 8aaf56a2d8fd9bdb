import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from policies.models import PremiumRate
from policies.selectors import period_accepting_submissions
from tests.factories import ContractPeriodFactory, PremiumRateFactory

pytestmark = pytest.mark.django_db


def test_window_must_close_after_it_opens():
    now = timezone.now()
    period = ContractPeriodFactory.build(window_opens_at=now, window_closes_at=now - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        period.full_clean()
    assert error.value.message_dict["window_closes_at"] == ["پایان مهلت ثبت درخواست باید بعد از شروع آن باشد."]


def test_coverage_must_end_after_it_starts():
    period = ContractPeriodFactory.build(coverage_start=dt.date(2026, 11, 22), coverage_end=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError) as error:
        period.full_clean()
    assert "coverage_end" in error.value.message_dict


def test_only_one_period_may_be_active_validation_names_the_other():
    current = ContractPeriodFactory(title="قرارداد ۱۴۰۵")
    second = ContractPeriodFactory.build(is_active=True)
    with pytest.raises(ValidationError) as error:
        second.full_clean()
    assert "قرارداد ۱۴۰۵" in error.value.message_dict["is_active"][0]
    current.is_active = False
    current.save()
    second.full_clean()


def test_only_one_period_may_be_active_in_the_database():
    ContractPeriodFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractPeriodFactory()


def test_window_in_reverse_is_refused_by_the_database():
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractPeriodFactory(window_opens_at=now, window_closes_at=now - dt.timedelta(days=1))


def test_accepting_submissions_only_inside_the_window_of_the_active_period():
    now = timezone.now()
    period = ContractPeriodFactory(
        window_opens_at=now - dt.timedelta(days=1), window_closes_at=now + dt.timedelta(days=1)
    )
    assert period.accepts_submissions(now)
    assert period_accepting_submissions(now) == period
    assert not period.accepts_submissions(now + dt.timedelta(days=2))
    assert period_accepting_submissions(now + dt.timedelta(days=2)) is None
    assert period_accepting_submissions(now - dt.timedelta(days=2)) is None
    period.is_active = False
    period.save()
    assert period_accepting_submissions(now) is None


def test_premium_parts_must_add_up():
    rate = PremiumRateFactory.build(period=ContractPeriodFactory(), full_premium=10, sso_subsidy=3, insured_share=6)
    with pytest.raises(ValidationError):
        rate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        rate.save()
    assert not PremiumRate.objects.exists()


def test_age_band_covers_its_ages():
    rate = PremiumRateFactory.build(min_age=0, max_age=69)
    assert rate.covers_age(69)
    assert not rate.covers_age(70)
    assert PremiumRateFactory.build(min_age=70, max_age=None).covers_age(95)
