"""The rollover's admin action: a confirmation page with what it will carry and the rates it will use,
refused while the period before still takes requests; only the confirmation starts the job."""

import datetime as dt

import pytest
from django.urls import reverse

from core.text import format_number
from enrollment.deductions.models import DeductionDocument, DeductionStatus, RolloverJob
from enrollment.deductions.rollover import rollover_preview
from policies import services
from policies.models import InsuranceKind
from tests.factories import DependentFactory, PensionerFactory

CHANGELIST = "admin:policies_contractperiod_changelist"


@pytest.fixture
def new_period(world, manager):
    new = services.period_next_create(
        current=world,
        by=manager,
        title="قرارداد ۱۴۰۶-۱۴۰۷",
        window_opens_at=dt.datetime(2027, 10, 1, tzinfo=dt.UTC),
        window_closes_at=dt.datetime(2027, 11, 1, tzinfo=dt.UTC),
    )
    rate = new.rates.get(kind=InsuranceKind.HEALTH, relation="spouse", min_age=0)
    services.premium_rate_update(
        rate=rate,
        by=manager,
        changes={"full_premium": 13_700_000, "insured_share": 8_700_000},
        reason="نرخ همسر در قرارداد جدید",
    )
    return new


def _post(client, period, **extra):
    return client.post(reverse(CHANGELIST), {"action": "rollover", "_selected_action": [period.pk], **extra})


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_while_the_old_window_is_open_the_rollover_is_refused_with_the_closing_date(
    client, world, new_period, manager, django_capture_on_commit_callbacks
):
    assert world.accepts_submissions()
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        for extra in ({}, {"confirm": "1"}):  # neither the page nor a crafted confirmation
            response = client.post(
                reverse(CHANGELIST),
                {"action": "rollover", "_selected_action": [new_period.pk], **extra},
                follow=True,
            )
            refusal = next(m for m in _messages(response) if "باز است" in m)
            assert f"مهلت ثبت درخواست دوره «{world.title}»" in refusal
            assert "بستن دوره" in refusal
            assert "rollover-confirm" not in response.content.decode()
    assert not RolloverJob.objects.exists()
    assert DeductionDocument.objects.filter(period=new_period).count() == 0


def test_the_confirmation_page_shows_the_counts_and_the_new_rates_and_starts_nothing(
    client, world, new_period, manager
):
    services.period_close(period=world, by=manager)
    # One more insured pensioner with two dependents, so persons and documents differ from the demo's own.
    extra = PensionerFactory(has_supplementary=True)
    for dependent in DependentFactory.create_batch(2, pensioner=extra, has_supplementary=True):
        DeductionDocument.objects.create(
            pensioner=extra,
            dependent=dependent,
            period=world,
            kind=InsuranceKind.HEALTH,
            monthly_amount=6_000_000,
            first_month=dt.date(2026, 11, 22),
        )
    active = DeductionDocument.objects.filter(period=world, status=DeductionStatus.ACTIVE)
    persons = {(d.pensioner_id, d.dependent_id) for d in active}
    client.force_login(manager)

    response = _post(client, new_period)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="rollover-confirm"' in page
    assert f'data-count="documents">{format_number(active.count())} سند' in page
    assert f'data-count="persons">{format_number(len(persons))} نفر' in page
    for kind in InsuranceKind.values:
        assert f'data-count="kind-{kind}">{format_number(active.filter(kind=kind).count())} سند' in page
    for rate in new_period.rates.all():
        assert f"<td>{format_number(rate.insured_share)}</td>" in page
    assert "<td>۸٬۷۰۰٬۰۰۰</td>" in page  # the new spouse rate, not the old period's
    assert "تایید و شروع انتقال" in page
    assert not RolloverJob.objects.exists()
    assert DeductionDocument.objects.filter(period=new_period).count() == 0


def test_the_preview_counts_what_the_rollover_then_takes(world, new_period, manager):
    services.period_close(period=world, by=manager)
    preview = rollover_preview(old=world, new=new_period)
    old_active = DeductionDocument.objects.filter(period=world, status=DeductionStatus.ACTIVE).count()
    assert preview.documents == old_active > 0
    assert preview.pensioners + preview.dependents == preview.persons
    assert {rate.pk for rate in preview.rates} == set(new_period.rates.values_list("pk", flat=True))


def test_confirming_starts_the_job_and_carries_the_documents(
    client, world, new_period, manager, django_capture_on_commit_callbacks
):
    services.period_close(period=world, by=manager)
    carried = DeductionDocument.objects.filter(period=world, status=DeductionStatus.ACTIVE).count()
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST),
            {"action": "rollover", "_selected_action": [new_period.pk], "confirm": "1"},
            follow=True,
        )
    assert any("در صف اجرا قرار گرفت" in m for m in _messages(response))
    assert RolloverJob.objects.filter(old_period=world, new_period=new_period).count() == 1
    assert DeductionDocument.objects.filter(period=new_period, status=DeductionStatus.ACTIVE).count() == carried


def test_two_periods_at_once_are_refused(client, world, new_period, manager):
    services.period_close(period=world, by=manager)
    client.force_login(manager)
    response = client.post(
        reverse(CHANGELIST), {"action": "rollover", "_selected_action": [world.pk, new_period.pk]}, follow=True
    )
    assert any("دقیقاً یک دوره" in m for m in _messages(response))
    assert not RolloverJob.objects.exists()


def test_the_periods_history_with_the_national_rollover_report_is_not_for_a_province_manager(
    client, world, new_period, manager, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    services.period_close(period=world, by=manager)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, new_period, confirm="1")
    history = reverse("admin:policies_contractperiod_history", args=[new_period.pk])
    assert "سند کسر منتقل شد" in client.get(history).content.decode()
    client.force_login(User.objects.get(username="manager_alborz"))
    assert client.get(history).status_code == 403
    assert client.get(reverse("admin:policies_contractperiod_change", args=[new_period.pk])).status_code == 200
