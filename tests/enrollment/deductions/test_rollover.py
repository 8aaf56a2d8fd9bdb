"""Rollover: the insured of the period before stay insured without a new request, at the new rates from
the new contract's first month; those the new contract does not cover are ended and reported."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import jalali
from enrollment.deductions import jobs, rollover, tasks
from enrollment.deductions.models import DeductionDocument, DeductionStatus, RolloverJob
from enrollment.deductions.rollover import period_rollover
from enrollment.reports.sweep import jobs_sweep
from policies import services
from policies.models import ContractPeriod, Relation
from policies.selectors import rate_for
from tests.factories import DependentFactory, PensionerFactory

OLD_LAST_MONTH = dt.date(2027, 10, 23)  # Aban 1406, the demo contract's last month
NEW_FIRST_MONTH = dt.date(2027, 11, 22)  # Azar 1406


@pytest.fixture
def new_period(world, manager) -> ContractPeriod:
    """The next period, made from the demo one, its insured's shares raised by a tenth."""
    new = services.period_next_create(
        current=world,
        by=manager,
        title="قرارداد ۱۴۰۶-۱۴۰۷",
        window_opens_at=dt.datetime(2027, 10, 1, tzinfo=dt.UTC),
        window_closes_at=dt.datetime(2027, 11, 1, tzinfo=dt.UTC),
    )
    for rate in new.rates.all():
        raise_by = rate.insured_share // 10
        services.premium_rate_update(
            rate=rate,
            by=manager,
            changes={"full_premium": rate.full_premium + raise_by, "insured_share": rate.insured_share + raise_by},
            reason="نرخ‌های قرارداد ۱۴۰۶",
        )
    return new


def _documents(pensioner, period):
    return DeductionDocument.objects.filter(pensioner=pensioner, period=period)


def test_pensioner_b_and_spouse_are_carried_at_the_new_rates_from_the_new_first_month(
    world, new_period, pensioner_b, manager
):
    old_documents = list(_documents(pensioner_b, world))
    assert len(old_documents) == 4 and all(d.status == DeductionStatus.ACTIVE for d in old_documents)

    result = period_rollover(old=world, new=new_period, by=manager)

    assert result.finished and (result.carried, result.not_carried_count) == (4, 0)
    assert jalali.month_start(world.coverage_end) == OLD_LAST_MONTH
    for document in _documents(pensioner_b, world):
        assert (document.status, document.last_month) == (DeductionStatus.ENDED, OLD_LAST_MONTH)
        record = document.history.latest()
        assert record.history_user == manager and f"انتقال به دوره «{new_period.title}»" in record.history_change_reason
    rates = list(new_period.rates.all())
    carried = _documents(pensioner_b, new_period)
    assert sorted((d.dependent_id is not None, d.kind) for d in carried) == [
        (False, "health"),
        (False, "life"),
        (True, "health"),
        (True, "life"),
    ]
    for document in carried:
        person = document.dependent or pensioner_b
        relation = document.dependent.relation if document.dependent else Relation.SELF
        rate = rate_for(rates, kind=document.kind, relation=relation, age=person.age_on(new_period.coverage_start))
        assert document.monthly_amount == rate.insured_share
        assert (document.status, document.first_month, document.last_month) == ("active", NEW_FIRST_MONTH, None)
        assert document.source_request is None
        record = document.history.get()
        assert record.history_type == "+" and record.history_user == manager
        assert record.history_change_reason.startswith(f"انتقال به دوره «{new_period.title}»")
    main_health = carried.get(dependent=None, kind="health")
    assert main_health.monthly_amount == 11_000_000  # 71 on 1 Azar 1406: the 70+ band, 10,000,000 raised a tenth
    pensioner_b.refresh_from_db()
    assert pensioner_b.has_supplementary


def test_a_second_run_creates_nothing(world, new_period, manager):
    first = period_rollover(old=world, new=new_period, by=manager)
    documents = DeductionDocument.objects.count()
    history = DeductionDocument.history.count()
    second = period_rollover(old=world, new=new_period, by=manager)
    assert first.carried == 4 and (second.carried, second.not_carried_count, second.finished) == (0, 0, True)
    assert DeductionDocument.objects.count() == documents and DeductionDocument.history.count() == history


def test_a_person_already_insured_in_the_new_period_gets_no_second_document(world, new_period, pensioner_b, manager):
    DeductionDocument.objects.create(
        pensioner=pensioner_b, period=new_period, kind="health", monthly_amount=1, first_month=NEW_FIRST_MONTH
    )
    result = period_rollover(old=world, new=new_period, by=manager)
    assert (result.carried, result.already_carried) == (3, 1)
    assert _documents(pensioner_b, new_period).filter(dependent=None, kind="health").count() == 1
    assert not _documents(pensioner_b, world).filter(status=DeductionStatus.ACTIVE).exists()


def test_a_child_over_the_new_age_limit_is_ended_not_carried_and_reported(world, new_period, pensioner_b, manager):
    # 25 when the demo contract began, 26 when the new one begins; the limit is 25 in both.
    child = DependentFactory(
        pensioner=pensioner_b, relation=Relation.CHILD, first_name="سارا", birth_date=dt.date(2001, 6, 1)
    )
    child.has_supplementary = True
    child.save()
    document = DeductionDocument.objects.create(
        pensioner=pensioner_b,
        dependent=child,
        period=world,
        kind="health",
        monthly_amount=6_000_000,
        first_month=world.coverage_start,
    )

    result = period_rollover(old=world, new=new_period, by=manager)

    assert (result.carried, result.not_carried_count) == (4, 1)
    [reported] = result.not_carried
    assert (reported.document_id, reported.dependent_id, reported.name) == (document.pk, child.pk, child.full_name)
    assert "۲۶ سال" in reported.reason and "۲۵ سال" in reported.reason and "فرزند" in reported.reason
    assert child.full_name in str(reported)
    document.refresh_from_db()
    assert (document.status, document.last_month) == (DeductionStatus.ENDED, OLD_LAST_MONTH)
    assert "منتقل نشد" in document.history.latest().history_change_reason
    assert not DeductionDocument.objects.filter(dependent=child, period=new_period).exists()


def test_a_dependent_whose_guardianship_ends_before_the_new_contract_is_not_carried(
    world, new_period, pensioner_b, manager
):
    spouse = pensioner_b.dependents.get(relation=Relation.SPOUSE)
    spouse.guardianship_end = dt.date(2027, 6, 1)
    spouse.save()
    result = period_rollover(old=world, new=new_period, by=manager)
    assert result.carried == 2 and {item.kind for item in result.not_carried} == {"health", "life"}
    assert all("کفالت" in item.reason for item in result.not_carried)


def test_a_person_without_a_rate_in_the_new_period_is_not_carried(world, new_period, pensioner_b, manager):
    new_period.rates.filter(kind="life", relation=Relation.SPOUSE).delete()
    result = period_rollover(old=world, new=new_period, by=manager)
    [reported] = result.not_carried
    assert reported.kind == "life" and "نرخ «بیمه عمر»" in reported.reason


def test_a_document_due_to_start_after_the_old_contract_is_cancelled_and_carried(world, new_period, manager):
    late = PensionerFactory(birth_date=dt.date(1960, 1, 1), has_supplementary=True)
    document = DeductionDocument.objects.create(
        pensioner=late, period=world, kind="health", monthly_amount=7_500_000, first_month=NEW_FIRST_MONTH
    )
    period_rollover(old=world, new=new_period, by=manager)
    document.refresh_from_db()
    assert (document.status, document.last_month) == (DeductionStatus.CANCELLED, None)
    assert DeductionDocument.objects.get(pensioner=late, period=new_period).first_month == NEW_FIRST_MONTH


def test_rollover_into_an_earlier_period_or_one_without_rates_is_refused(world, new_period, manager):
    with pytest.raises(ValidationError):
        period_rollover(old=new_period, new=world, by=manager)
    new_period.rates.all().delete()
    with pytest.raises(ValidationError) as error:
        period_rollover(old=world, new=new_period, by=manager)
    assert "نرخ حق بیمه" in error.value.messages[0]
    assert not DeductionDocument.objects.filter(status=DeductionStatus.ENDED).exists()


def test_after_rollover_the_new_rates_are_frozen(world, new_period, manager):
    period_rollover(old=world, new=new_period, by=manager)
    with pytest.raises(ValidationError):
        services.premium_rate_update(
            rate=new_period.rates.first(), by=manager, changes={"max_age": 99}, reason="دیرهنگام"
        )


# --- National scale: batches, a constant number of queries a batch, resumable ------------------


def _insured(count: int, period: ContractPeriod) -> None:
    for pensioner in PensionerFactory.create_batch(count, birth_date=dt.date(1960, 1, 1), has_supplementary=True):
        DeductionDocument.objects.create(
            pensioner=pensioner,
            period=period,
            kind="health",
            monthly_amount=7_500_000,
            first_month=period.coverage_start,
        )


def _queries_for_rollover(old, new, by, batch_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        period_rollover(old=old, new=new, by=by, batch_size=batch_size)
    return len(queries)


def test_queries_do_not_grow_with_the_documents_of_a_batch(manager, world):
    new = services.period_next_create(
        current=world,
        by=manager,
        title="قرارداد ۱۴۰۶-۱۴۰۷",
        window_opens_at=world.window_opens_at,
        window_closes_at=world.window_closes_at,
    )
    _insured(6, world)  # with pensioner B's four: ten documents
    ten = _queries_for_rollover(world, new, manager, batch_size=100)
    DeductionDocument.objects.filter(period=new).delete()
    DeductionDocument.objects.filter(period=world).update(status="active", last_month=None)
    _insured(30, world)  # forty documents, still one batch
    forty = _queries_for_rollover(world, new, manager, batch_size=100)
    assert DeductionDocument.objects.filter(period=new).count() == 40
    assert forty == ten


def test_each_batch_adds_the_same_few_queries(world, new_period, manager):
    _insured(8, world)  # twelve documents
    one_batch = _queries_for_rollover(world, new_period, manager, batch_size=12)
    DeductionDocument.objects.filter(period=new_period).delete()
    DeductionDocument.objects.filter(period=world).update(status="active", last_month=None)
    three_batches = _queries_for_rollover(world, new_period, manager, batch_size=4)
    per_batch = (three_batches - one_batch) / 2
    # 8, and the audit log's 5: the ended documents' previous versions and source requests, the new documents'
    # pensioners, and one INSERT of entries for each
    assert per_batch == int(per_batch) and per_batch <= 13


def test_a_run_stopped_at_its_deadline_resumes_where_it_stopped(world, new_period, manager):
    _insured(3, world)  # seven documents
    first = period_rollover(old=world, new=new_period, by=manager, batch_size=3, deadline=0)
    assert not first.finished and first.carried == 3
    rest = period_rollover(old=world, new=new_period, by=manager, batch_size=3, after_id=first.last_document_id)
    total = first.add(rest)
    assert total.finished and total.carried == 7
    assert not DeductionDocument.objects.filter(period=world, status=DeductionStatus.ACTIVE).exists()


# --- The admin action queues a django-q2 task; its summary lands in the new period's history -----


def test_admin_action_queues_the_rollover_and_the_summary_is_in_the_new_periods_history(
    client, world, new_period, manager, django_capture_on_commit_callbacks
):
    services.period_close(period=world, by=manager)  # no rollover while the old window takes requests
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:policies_contractperiod_changelist"),
            {"action": "rollover", "_selected_action": [new_period.pk], "confirm": "1"},
            follow=True,
        )
    assert any("در صف اجرا قرار گرفت" in str(m) for m in response.context["messages"])
    assert DeductionDocument.objects.filter(period=new_period, status=DeductionStatus.ACTIVE).count() == 4
    record = new_period.history.latest()
    assert record.history_user == manager
    assert record.history_change_reason.startswith(f"انتقال بیمه‌شدگان از دوره «{world.title}»")
    assert "۴ سند کسر منتقل شد" in record.history_change_reason


def test_admin_action_on_the_first_period_is_refused(client, world, manager):
    client.force_login(manager)
    response = client.post(
        reverse("admin:policies_contractperiod_changelist"),
        {"action": "rollover", "_selected_action": [world.pk]},
        follow=True,
    )
    assert any("دوره‌ای پیش از این دوره نیست" in str(m) for m in response.context["messages"])


def test_the_job_runs_in_slices_that_queue_the_next_one(
    world, new_period, manager, monkeypatch, django_capture_on_commit_callbacks
):
    _insured(2, world)  # six documents
    monkeypatch.setattr(jobs, "SLICE_SECONDS", 0)
    monkeypatch.setattr(rollover, "BATCH_SIZE", 2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = tasks.period_rollover_queue(old=world, new=new_period, by=manager)
    assert len(callbacks) == 4  # one batch a slice; the fourth slice finds nothing left and writes the summary
    job.refresh_from_db()
    assert (job.status, job.total_estimate, jobs.rollover_processed(job)) == ("done", 6, 6)
    assert DeductionDocument.objects.filter(period=new_period).count() == 6
    assert "۶ سند کسر منتقل شد" in job.summary == new_period.history.latest().history_change_reason


def test_a_second_start_while_one_is_pending_returns_the_same_job(world, new_period, manager):
    first = tasks.period_rollover_queue(old=world, new=new_period, by=manager)
    assert tasks.period_rollover_queue(old=world, new=new_period, by=manager) == first
    assert RolloverJob.objects.count() == 1


def test_a_slice_queued_by_the_release_before_jobs_becomes_a_job_and_resumes(world, new_period, manager):
    _insured(1, world)  # five documents
    first = period_rollover(old=world, new=new_period, by=manager, batch_size=3, deadline=0)
    assert tasks.period_rollover_task(world.pk, new_period.pk, manager.pk, first.as_dict()) == "done"
    job = RolloverJob.objects.get()
    assert (job.progress["carried"], job.user) == (5, manager)
    assert "۵ سند کسر منتقل شد" in job.summary


def test_a_slice_killed_mid_batch_loses_neither_documents_nor_counts(
    world, new_period, manager, monkeypatch, django_capture_on_commit_callbacks
):
    _insured(2, world)  # six documents
    monkeypatch.setattr(rollover, "BATCH_SIZE", 2)
    beats = []
    real_beat = jobs.job_beat

    def dies_in_the_second_batch(mine, **values):
        beats.append(values)
        if len(beats) == 2:
            raise KeyboardInterrupt  # the worker is killed: nothing in the task catches it
        real_beat(mine, **values)

    monkeypatch.setattr(jobs, "job_beat", dies_in_the_second_batch)
    job = RolloverJob.objects.create(old_period=world, new_period=new_period, user=manager)
    with pytest.raises(KeyboardInterrupt):
        jobs.rollover_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "running" and job.progress["carried"] == 2  # the second batch rolled back
    assert DeductionDocument.objects.filter(period=new_period).count() == 2
    RolloverJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - jobs.ROLLOVER_RULES.stale_after * 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep()["rollovers"] == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress["carried"]) == ("done", 2, 6)
    assert DeductionDocument.objects.filter(period=new_period).count() == 6
