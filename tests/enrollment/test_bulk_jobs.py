"""Cartable moves on selections larger than a web request carries: a background job with progress and a
report of every request (enrollment.bulk_jobs), scoped when it runs, resumed safely after its worker dies."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import remove_perm

from core.jobs import job_claim
from core.text import to_persian_digits
from enrollment import bulk_jobs, roles, workflow
from enrollment.models import BulkMoveJob, BulkMoveLine, EnrollmentRequest, Kanoon, RequestStatus
from enrollment.reports.sweep import jobs_sweep
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

S = RequestStatus
LIST = "/admin/enrollment/enrollmentrequest/"
QUEUE = LIST + "?status__exact=kanoon_review"
JOBS = "/admin/enrollment/bulkmovejob/"


@pytest.fixture(autouse=True)
def small_limit(settings):
    """More than two requests is a job here (a thousand in production)."""
    settings.BULK_MOVES_INLINE_MAX = 2


def _requests_of(pensioner, count: int, **fields) -> list[EnrollmentRequest]:
    """Requests of new pensioners in `pensioner`'s county and paying branch."""
    return [
        file_request(PensionerFactory(county=pensioner.county, paying_branch=pensioner.paying_branch, **fields))
        for _ in range(count)
    ]


def _across(client, url: str, action: str, picked: EnrollmentRequest, **extra):
    """«همه موارد منطبق» as the page posts it: the action, one tick of the page and the flag."""
    data = {"action": action, "index": 0, "select_across": "1", "_selected_action": [picked.pk], **extra}
    return client.post(url, data, follow=True)


def _statuses(requests) -> set[str]:
    return set(EnrollmentRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", flat=True))


def _report(job: BulkMoveJob) -> dict[int, tuple[str, str]]:
    return {line.request_id: (line.outcome, line.reason) for line in job.lines.all()}


def test_a_large_selection_becomes_a_job_and_its_report_lists_every_request(
    client, kanoon_tehran, submitted_a, pensioner_a, django_capture_on_commit_callbacks
):
    requests = [submitted_a, *_requests_of(pensioner_a, 4)]
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks() as queued:
        response = _across(client, QUEUE, "kanoon_approve", submitted_a)
    job = BulkMoveJob.objects.get()
    assert _statuses(requests) == {S.KANOON_REVIEW}  # nothing moved while the clerk waited
    assert (job.user, job.move, job.selected_ids, job.status) == (kanoon_tehran, "kanoon_approve", None, "queued")
    (message,) = [str(m) for m in response.context["messages"]]
    assert "در پس‌زمینه انجام می‌شود" in message and f'href="{JOBS}{job.pk}/change/"' in message

    for hand_over in queued:  # the worker of the long cluster (sync in the test settings)
        hand_over()
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.moved, job.refused, job.held) == ("done", 5, 5, 5, 0, 0)
    assert _statuses(requests) == {S.BRANCH_REVIEW}
    assert _report(job) == {r.pk: ("moved", "") for r in requests}
    for request in requests:  # one history row and one SMS each, as one by one
        assert request.history.filter(status=S.BRANCH_REVIEW, history_user=kanoon_tehran).count() == 1
        assert OutboxMessage.objects.filter(request=request, template="kanoon_approved").count() == 1

    page = client.get(f"{JOBS}{job.pk}/change/").content.decode()
    for request in requests:
        assert to_persian_digits(request.tracking_code) in page
    assert "۵ از ۵ درخواست" in page and "تایید کانون" in page
    assert re.search(r"۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}", page)  # Jalali times in Persian digits
    assert not re.search(r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}\b", page)


def test_select_across_with_a_filter_moves_exactly_the_matching_requests_in_scope(
    client, kanoon_tehran, pensioner_a, pensioner_b, django_capture_on_commit_callbacks
):
    matching = _requests_of(pensioner_a, 3, last_name="زمانی")
    other_name = _requests_of(pensioner_a, 1, last_name="کاظمی")
    karaj = _requests_of(pensioner_b, 2, last_name="زمانی")  # the same filter, another Kanoon
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks(execute=True):
        _across(client, QUEUE + "&q=زمانی", "kanoon_approve", matching[0])
    job = BulkMoveJob.objects.get()
    assert QueryDict(job.query).dict() == {"status__exact": "kanoon_review", "q": "زمانی"}
    assert _statuses(matching) == {S.BRANCH_REVIEW}
    assert _statuses(other_name + karaj) == {S.KANOON_REVIEW}
    assert set(_report(job)) == {r.pk for r in matching}
    assert not any(OutboxMessage.objects.filter(request=r, template="kanoon_approved") for r in karaj)


def test_the_scope_is_read_again_when_the_job_runs(
    client, kanoon_tehran, submitted_a, pensioner_a, django_capture_on_commit_callbacks
):
    requests = [submitted_a, *_requests_of(pensioner_a, 3)]
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks() as queued:
        _across(client, QUEUE, "kanoon_approve", submitted_a)
    remove_perm(roles.REVIEW_KANOON, kanoon_tehran, Kanoon.objects.get(pk=submitted_a.kanoon_id))
    for hand_over in queued:
        hand_over()
    job = BulkMoveJob.objects.get()
    assert (job.status, job.processed, job.moved) == ("done", 0, 0)
    assert _statuses(requests) == {S.KANOON_REVIEW}


def test_ticked_requests_past_the_limit_are_a_job_of_those_ids_and_out_of_scope_ones_are_left_out(
    client, kanoon_tehran, pensioner_a, pensioner_b, django_capture_on_commit_callbacks
):
    ticked = _requests_of(pensioner_a, 3)
    karaj = _requests_of(pensioner_b, 1)
    client.force_login(kanoon_tehran)
    data = {"action": "kanoon_approve", "_selected_action": [r.pk for r in ticked + karaj]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(QUEUE, data)
    job = BulkMoveJob.objects.get()
    assert job.selected_ids == sorted(r.pk for r in ticked)
    assert _statuses(ticked) == {S.BRANCH_REVIEW} and _statuses(karaj) == {S.KANOON_REVIEW}
    assert _report(job) == {r.pk: ("moved", "") for r in ticked}


def test_a_request_moved_by_a_colleague_before_the_job_reaches_it_is_refused_with_the_workflows_reason(
    client, kanoon_tehran, pensioner_a, django_capture_on_commit_callbacks
):
    ticked = _requests_of(pensioner_a, 3)
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks() as queued:
        client.post(QUEUE, {"action": "kanoon_approve", "_selected_action": [r.pk for r in ticked]})
    workflow.request_kanoon_approve(request_id=ticked[1].pk, by=kanoon_tehran)  # one by one, meanwhile
    for hand_over in queued:
        hand_over()
    job = BulkMoveJob.objects.get()
    refusal = f"«تایید کانون» برای درخواستی با وضعیت «{S.BRANCH_REVIEW.label}» ممکن نیست."
    assert _report(job)[ticked[1].pk] == ("refused", refusal)
    assert (job.moved, job.refused) == (2, 1)
    assert ticked[1].history.filter(status=S.BRANCH_REVIEW).count() == 1  # moved once, not twice
    page = client.get(f"{JOBS}{job.pk}/change/?outcome=refused").content.decode()
    assert refusal.replace("«", "&laquo;") in page or refusal in page
    assert to_persian_digits(ticked[1].tracking_code) in page and to_persian_digits(ticked[0].tracking_code) not in page


def test_a_rejection_of_every_match_keeps_its_reason_and_a_reason_outside_the_list_queues_nothing(
    client, kanoon_tehran, submitted_a, pensioner_a, django_capture_on_commit_callbacks
):
    requests = [submitted_a, *_requests_of(pensioner_a, 2)]
    client.force_login(kanoon_tehran)
    response = _across(client, QUEUE, "kanoon_reject", submitted_a, reason_code="made_up", note="x")
    assert [str(m) for m in response.context["messages"]] == ["علت عدم تایید را از فهرست انتخاب کنید."]
    assert not BulkMoveJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _across(client, QUEUE, "kanoon_reject", submitted_a, reason_code="duplicate", note="تکراری")
    job = BulkMoveJob.objects.get()
    assert (job.reason_code, job.note, job.moved) == ("duplicate", "تکراری", 3)
    assert set(
        EnrollmentRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", "rejection_reason")
    ) == {(S.KANOON_REJECTED, "duplicate")}


def test_the_actions_request_part_costs_the_same_queries_for_a_job_of_three_requests_or_nine(
    client, kanoon_tehran, pensioner_a, django_capture_on_commit_callbacks
):
    client.force_login(kanoon_tehran)
    client.get(QUEUE)  # the clerk's office ids cached, as after any page of the cartable

    def queries(count: int) -> int:
        requests = _requests_of(pensioner_a, count)
        with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks() as queued:
            response = client.post(
                QUEUE,
                {"action": "kanoon_approve", "index": 0, "select_across": "1", "_selected_action": [requests[0].pk]},
            )
        assert response.status_code == 302 and len(queued) == 1
        for hand_over in queued:  # the job (not measured) empties the queue for the next round
            hand_over()
        return len(captured.captured_queries)

    few, many = queries(3), queries(9)
    # the user and their permissions, the list's capped count, the selection's (up to the limit), the job
    assert few == many <= 6
    assert BulkMoveJob.objects.filter(status="done").count() == 2


def test_a_thousand_ticked_requests_on_a_page_post_without_a_400(client, kanoon_tehran, pensioner_a, settings):
    settings.BULK_MOVES_INLINE_MAX = 1000
    client.force_login(kanoon_tehran)
    page = client.get(QUEUE + "&all=")
    assert page.status_code == 200 and page.context["cl"].list_max_show_all >= 1000
    ticked = list(range(20_000_000, 20_001_000))  # a full page's checkboxes
    response = client.post(QUEUE, {"action": "kanoon_approve", "_selected_action": ticked})
    assert response.status_code == 302
    assert not BulkMoveJob.objects.exists()  # none of them exists: nothing to move, inline


def test_a_job_whose_worker_died_is_resumed_by_the_sweep_and_moves_each_request_once(
    kanoon_tehran, pensioner_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bulk_jobs, "CHUNK", 2)
    requests = _requests_of(pensioner_a, 5)
    job = bulk_jobs.bulk_move_start(user=kanoon_tehran, move_name="kanoon_approve", query="status__exact=kanoon_review")
    mine = job_claim(BulkMoveJob, job.pk, bulk_jobs.RULES)  # a worker starts it ...
    job.refresh_from_db()
    assert bulk_jobs.bulk_move_chunk(job, mine, bulk_jobs._selection(job))  # ... commits one chunk ...
    BulkMoveJob.objects.filter(pk=job.pk).update(  # ... and is killed
        heartbeat_at=timezone.now() - bulk_jobs.RULES.stale_after - dt.timedelta(seconds=1)
    )
    assert _statuses(requests) == {S.KANOON_REVIEW, S.BRANCH_REVIEW}

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep()["bulk_moves"] == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.attempts, job.processed, job.moved) == ("done", 2, 5, 5)
    assert _statuses(requests) == {S.BRANCH_REVIEW}
    assert _report(job) == {r.pk: ("moved", "") for r in requests}
    assert BulkMoveLine.objects.filter(job=job).count() == 5
    for request in requests:
        assert request.history.filter(status=S.BRANCH_REVIEW).count() == 1
        assert OutboxMessage.objects.filter(request=request, template="kanoon_approved").count() == 1


def test_a_failed_job_restarted_from_its_list_goes_on_after_what_it_did(
    client, kanoon_tehran, pensioner_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bulk_jobs, "CHUNK", 2)
    requests = _requests_of(pensioner_a, 3)
    job = bulk_jobs.bulk_move_start(user=kanoon_tehran, move_name="kanoon_approve", ids=[r.pk for r in requests])
    mine = job_claim(BulkMoveJob, job.pk, bulk_jobs.RULES)
    job.refresh_from_db()
    bulk_jobs.bulk_move_chunk(job, mine, bulk_jobs._selection(job))
    BulkMoveJob.objects.filter(pk=job.pk).update(status="failed", error="پردازشگر از کار افتاد")
    client.force_login(kanoon_tehran)
    listing = client.get(JOBS).content.decode()
    assert "ناموفق" in listing and "۲ از ۳ درخواست" in listing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(JOBS, {"action": "restart", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert (job.status, job.processed, job.moved) == ("done", 3, 3)
    assert sorted(job.lines.values_list("request_id", flat=True)) == sorted(r.pk for r in requests)


def test_a_clerk_who_lost_the_role_before_the_job_ran_gets_a_failed_job_with_the_reason(
    kanoon_tehran, pensioner_a, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    requests = _requests_of(pensioner_a, 3)
    with django_capture_on_commit_callbacks() as queued:
        job = bulk_jobs.bulk_move_start(user=kanoon_tehran, move_name="kanoon_approve", ids=[r.pk for r in requests])
    kanoon_tehran.groups.clear()
    User.objects.filter(pk=kanoon_tehran.pk).update(is_active=False)
    for hand_over in queued:
        hand_over()
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", bulk_jobs.REFUSED)
    assert _statuses(requests) == {S.KANOON_REVIEW}


# -- who sees which jobs --------------------------------------------------------------------------------


@pytest.fixture
def two_jobs(kanoon_tehran, kanoon_karaj, pensioner_a, pensioner_b):
    tehran = _requests_of(pensioner_a, 3)
    karaj = _requests_of(pensioner_b, 3)
    return (
        bulk_jobs.bulk_move_start(user=kanoon_tehran, move_name="kanoon_approve", ids=[r.pk for r in tehran]),
        bulk_jobs.bulk_move_start(user=kanoon_karaj, move_name="kanoon_approve", ids=[r.pk for r in karaj]),
    )


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("kanoon_tehran", {"tehran"}),
        ("kanoon_karaj", {"karaj"}),
        ("manager_alborz", {"karaj"}),  # the staff of Alborz province's Kanoons and branches
        ("manager", {"tehran", "karaj"}),
        ("auditor", {"tehran", "karaj"}),
        ("pr_staff", set()),
    ],
)
def test_a_clerk_sees_their_own_jobs_and_a_manager_those_of_their_scope(client, two_jobs, username, sees):
    from django.contrib.auth.models import User

    user = User.objects.get(username=username)
    client.force_login(user)
    names = dict(zip(("tehran", "karaj"), two_jobs, strict=True))
    assert {name for name, job in names.items() if bulk_jobs.bulk_jobs_visible_to(user).filter(pk=job.pk)} == sees
    for name, job in names.items():
        report = client.get(f"{JOBS}{job.pk}/change/")
        assert report.status_code == (200 if name in sees else 404)


def test_the_job_is_queued_on_the_long_cluster_after_commit(
    kanoon_tehran, pensioner_a, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.conf import Conf
    from django_q.models import OrmQ

    monkeypatch.setattr(Conf, "SYNC", False)  # the task stays in the broker's queue
    requests = _requests_of(pensioner_a, 3)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_jobs.bulk_move_start(user=kanoon_tehran, move_name="kanoon_approve", ids=[r.pk for r in requests])
        assert not OrmQ.objects.exists()  # not before the job row commits
    assert list(OrmQ.objects.values_list("key", flat=True)) == ["long"]
