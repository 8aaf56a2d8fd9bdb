"""Races on PostgreSQL, each side on its own connection: exactly one move wins, nothing is written twice."""

import threading

import pytest
from django.db import connection

from enrollment import workflow
from enrollment.models import EnrollmentRequest, RequestStatus
from enrollment.roles import kanoon_assign
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _race(*moves) -> list[str]:
    """Runs the moves at the same moment on separate threads (so separate connections)."""
    barrier = threading.Barrier(len(moves))
    outcomes: list[str] = [""] * len(moves)

    def run(index, move):
        try:
            barrier.wait()
            move()
            outcomes[index] = "done"
        except workflow.MoveRefused as refusal:
            outcomes[index] = refusal.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, move)) for i, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _requests(pensioner_a, count: int) -> list[EnrollmentRequest]:
    requests = [file_request(pensioner_a)]
    for _ in range(count - 1):
        requests.append(
            file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
        )
    return requests


def test_two_kanoon_users_approving_at_once_one_wins(on_postgres, pensioner_a, kanoon_tehran, django_user_model):
    colleague = django_user_model.objects.create_user("kanoon_tehran_2", is_staff=True)
    colleague.groups.set(kanoon_tehran.groups.all())
    for request in _requests(pensioner_a, 5):
        kanoon_assign(user=colleague, kanoon=request.kanoon)
        outcomes = _race(
            lambda r=request: workflow.request_kanoon_approve(request_id=r.pk, by=kanoon_tehran),
            lambda r=request: workflow.request_kanoon_approve(request_id=r.pk, by=colleague),
        )
        assert sorted(o == "done" for o in outcomes) == [False, True], outcomes
        request.refresh_from_db()
        assert request.status == RequestStatus.BRANCH_REVIEW
        assert request.history.filter(status=RequestStatus.BRANCH_REVIEW).count() == 1
        assert OutboxMessage.objects.filter(request=request, template="kanoon_approved").count() == 1


def test_kanoon_approve_racing_the_pensioners_cancel_one_wins(on_postgres, pensioner_a, kanoon_tehran):
    for request in _requests(pensioner_a, 5):
        outcomes = _race(
            lambda r=request: workflow.request_kanoon_approve(request_id=r.pk, by=kanoon_tehran),
            lambda r=request: workflow.request_cancel(request_id=r.pk, pensioner=r.pensioner),
        )
        assert sorted(o == "done" for o in outcomes) == [False, True], outcomes
        request.refresh_from_db()
        assert request.status in {RequestStatus.BRANCH_REVIEW, RequestStatus.CANCELLED}
        moved = request.history.exclude(status=RequestStatus.KANOON_REVIEW).exclude(status=RequestStatus.DRAFT)
        assert moved.count() == 1
        templates = set(OutboxMessage.objects.filter(request=request).values_list("template", flat=True))
        assert templates == {"request_submitted", "kanoon_approved" if outcomes[0] == "done" else "request_cancelled"}


def test_double_submit_from_two_tabs_submits_once(on_postgres, pensioner_a):
    from enrollment import drafts
    from policies.selectors import terms_current
    from tests.enrollment.conftest import family_enroll_operations

    draft = drafts.draft_open(pensioner=pensioner_a)
    drafts.draft_terms_accept(draft=draft, terms=terms_current(period=draft.period))
    drafts.draft_choices_set(draft=draft, operations=family_enroll_operations(pensioner_a))
    outcomes = _race(
        lambda: drafts.draft_submit(draft_id=draft.pk, pensioner=pensioner_a),
        lambda: drafts.draft_submit(draft_id=draft.pk, pensioner=pensioner_a),
    )
    assert sorted(o == "done" for o in outcomes) == [False, True], outcomes
    assert OutboxMessage.objects.filter(request=draft, template="request_submitted").count() == 1


def test_a_set_reports_a_request_a_colleague_holds_and_never_waits_for_it(on_postgres, pensioner_a, kanoon_tehran):
    import time

    from django.db import transaction

    held, free = _requests(pensioner_a, 2)
    locked, release = threading.Event(), threading.Event()

    def colleague():  # another connection holds the row's lock, as a colleague's move in progress does
        try:
            with transaction.atomic():
                EnrollmentRequest.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=colleague)
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        report = workflow.moves_apply("kanoon_approve", [held.pk, free.pk], user=kanoon_tehran)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert elapsed < 2
    assert report.outcomes == [
        workflow.Outcome(held.pk, held.tracking_code, workflow.HELD),
        workflow.Outcome(free.pk, free.tracking_code),
    ]
    held.refresh_from_db()
    free.refresh_from_db()
    assert (held.status, free.status) == (RequestStatus.KANOON_REVIEW, RequestStatus.BRANCH_REVIEW)
    assert not OutboxMessage.objects.filter(request=held, template="kanoon_approved").exists()
