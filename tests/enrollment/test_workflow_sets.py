"""Moves in sets (workflow.moves_apply): the same rows as one by one, refusals per request, queries per chunk."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollment import workflow
from enrollment.deductions.models import DeductionDocument
from enrollment.models import Branch, EnrollmentRequest, Operation, RequestStatus
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

S = RequestStatus


def _more_requests(pensioner_a, count: int) -> list[EnrollmentRequest]:
    """Requests of new pensioners in pensioner A's county and branch: one Kanoon and one branch work them."""
    return [
        file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
        for _ in range(count)
    ]


def _approved(requests, kanoon) -> None:
    for request in requests:
        workflow.request_kanoon_approve(request_id=request.pk, by=kanoon)


def _without(text: str, codes: dict[int, str]) -> str:
    """Text with tracking codes blanked: equal texts about different requests compare equal."""
    for code in codes.values():
        text = text.replace(code, "<code>")
    return text


def _history(records, codes, *fields) -> list[tuple]:
    return sorted(
        (
            *(str(getattr(r, f)) for f in fields),
            r.history_user_id,
            _without(r.history_change_reason or "", codes),
            r.history_type,
        )
        for r in records
    )


def _world_after(requests: list[EnrollmentRequest], since) -> dict:
    """What a move wrote, in every field that matters and in no id or time: the requests, their history,
    their SMS, and on acceptance the people's flags with their history and the deduction documents."""
    ids = [r.pk for r in requests]
    codes = {r.pk: r.tracking_code for r in requests}
    rows = EnrollmentRequest.objects.filter(pk__in=ids).order_by("pk")
    people = {r.pensioner_id for r in rows}
    documents = DeductionDocument.objects.filter(pensioner_id__in=people).order_by(
        "pensioner_id", "dependent_id", "kind"
    )
    pensioners = EnrollmentRequest.pensioner.field.related_model.objects.filter(pk__in=people)
    from enrollment.models import Dependent

    dependents = Dependent.objects.filter(pensioner_id__in=people)
    return {
        "requests": [
            (
                r.pk,
                r.status,
                r.branch_id,
                r.claimed_by_id,
                r.claimed_at,
                r.rejection_reason,
                r.decision_note,
                r.waiting_since is not None and r.waiting_since >= since,
            )
            for r in rows
        ],
        "history": {
            pk: _history(EnrollmentRequest.history.filter(id=pk, history_date__gte=since), codes, "status", "branch_id")
            for pk in ids
        },
        "sms": sorted(
            (m.request_id, m.template, m.mobile, _without(m.text, codes), m.status)
            for m in OutboxMessage.objects.filter(request_id__in=ids, created_at__gte=since)
        ),
        "flags": sorted((p.pk, p.has_supplementary) for p in pensioners)
        + sorted((d.pk, d.has_supplementary) for d in dependents),
        "flag_history": _history(
            pensioners.model.history.filter(id__in=people, history_date__gte=since), codes, "id", "has_supplementary"
        )
        + _history(
            Dependent.history.filter(pensioner_id__in=people, history_date__gte=since), codes, "id", "has_supplementary"
        ),
        "documents": [
            (
                d.pensioner_id,
                d.dependent_id,
                d.period_id,
                d.kind,
                d.monthly_amount,
                d.first_month,
                d.last_month,
                d.status,
                d.source_request_id,
            )
            for d in documents
        ],
        "document_history": _history(
            DeductionDocument.history.filter(pensioner_id__in=people, history_date__gte=since),
            codes,
            "pensioner_id",
            "dependent_id",
            "kind",
            "status",
            "last_month",
        ),
    }


def _one_by_one_and_as_a_set(requests, single, move_name, user, **options) -> tuple[dict, dict]:
    """The same requests moved one by one, then (the first run rolled back) as a set: both worlds."""
    worlds = []
    for run in ("single", "set"):
        with transaction.atomic():
            since = timezone.now()
            if run == "single":
                for request in requests:
                    single(request.pk)
            else:
                report = workflow.moves_apply(move_name, [r.pk for r in requests], user=user, chunk_size=2, **options)
                assert len(report.done) == len(requests), report.refused
            worlds.append(_world_after(requests, since))
            transaction.set_rollback(True)
    return worlds[0], worlds[1]


def _claimed(request, user) -> EnrollmentRequest:
    return workflow.request_claim(request_id=request.pk, by=user)


def test_kanoon_approve_in_a_set_writes_what_one_by_one_writes(pensioner_a, kanoon_tehran):
    requests = [file_request(pensioner_a), *_more_requests(pensioner_a, 2)]
    _claimed(requests[0], kanoon_tehran)  # the claim is cleared the same way
    single, as_set = _one_by_one_and_as_a_set(
        requests,
        lambda pk: workflow.request_kanoon_approve(request_id=pk, by=kanoon_tehran, note=" مدارک کامل "),
        "kanoon_approve",
        kanoon_tehran,
        note=" مدارک کامل ",
    )
    assert single == as_set
    assert {row[1] for row in as_set["requests"]} == {S.BRANCH_REVIEW}
    assert len(as_set["sms"]) == 3 and all(h for h in as_set["history"].values())


@pytest.mark.parametrize("move_name", ["kanoon_reject", "branch_reject"])
def test_rejection_in_a_set_writes_what_one_by_one_writes(pensioner_a, kanoon_tehran, branch_tehran, move_name):
    requests = [file_request(pensioner_a), *_more_requests(pensioner_a, 2)]
    user = kanoon_tehran
    if move_name == "branch_reject":
        _approved(requests, kanoon_tehran)
        user = branch_tehran
    service = getattr(workflow, f"request_{move_name}")
    single, as_set = _one_by_one_and_as_a_set(
        requests,
        lambda pk: service(request_id=pk, by=user, reason_code="duplicate", note="درخواست تکراری"),
        move_name,
        user,
        reason_code="duplicate",
        note="درخواست تکراری",
    )
    assert single == as_set
    assert {row[5] for row in as_set["requests"]} == {"duplicate"}


def test_transfer_in_a_set_writes_what_one_by_one_writes(pensioner_a, kanoon_tehran, branch_tehran):
    requests = [file_request(pensioner_a), *_more_requests(pensioner_a, 2)]
    _approved(requests, kanoon_tehran)
    new_branch = Branch.objects.get(code="1020")
    for request in requests:
        type(request.pensioner).objects.filter(pk=request.pensioner_id).update(paying_branch=new_branch)
    single, as_set = _one_by_one_and_as_a_set(
        requests,
        lambda pk: workflow.request_branch_transfer(request_id=pk, by=branch_tehran),
        "branch_transfer",
        branch_tehran,
    )
    assert single == as_set
    assert {row[2] for row in as_set["requests"]} == {new_branch.pk}


def test_acceptance_in_a_set_writes_the_same_flags_history_and_documents(
    pensioner_a, pensioner_b, kanoon_tehran, kanoon_karaj, branch_tehran, django_user_model
):
    import datetime as dt

    from enrollment.roles import branch_assign

    spouse = pensioner_b.dependents.get(relation="spouse")
    withdrawal = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(spouse.pk): Operation.WITHDRAW})
    workflow.request_kanoon_approve(request_id=withdrawal.pk, by=kanoon_karaj)
    requests = [file_request(pensioner_a), *_more_requests(pensioner_a, 2)]
    _approved(requests, kanoon_tehran)
    branch_assign(user=branch_tehran, branch=withdrawal.branch)  # one clerk for both branches
    everything = [*requests, withdrawal]
    today = dt.date(2027, 1, 5)
    single, as_set = _one_by_one_and_as_a_set(
        everything,
        lambda pk: workflow.request_branch_accept(request_id=pk, by=branch_tehran, today=today),
        "branch_accept",
        branch_tehran,
        today=today,
    )
    assert single == as_set
    assert {row[1] for row in as_set["requests"]} == {S.ACCEPTED}
    assert as_set["document_history"] and as_set["flag_history"]
    assert {d[7] for d in as_set["documents"] if d[8] == requests[0].pk} == {"active"}
    assert "ended" in {d[7] for d in as_set["documents"] if d[0] == pensioner_b.pk}


def test_refusals_are_reported_per_request_with_the_single_paths_message(
    pensioner_a, pensioner_b, kanoon_tehran, branch_tehran
):
    fine, moved_on = [file_request(pensioner_a), *_more_requests(pensioner_a, 1)]
    workflow.request_kanoon_approve(request_id=moved_on.pk, by=kanoon_tehran)
    karaj = PensionerFactory(county=pensioner_b.county, paying_branch=pensioner_b.paying_branch)
    elsewhere = file_request(karaj)  # Karaj: out of the Tehran Kanoon's scope
    with pytest.raises(workflow.MoveRefused) as single:
        workflow.request_kanoon_approve(request_id=moved_on.pk, by=kanoon_tehran)
    before = OutboxMessage.objects.filter(request=elsewhere).count()

    report = workflow.moves_apply(
        "kanoon_approve", [fine.pk, moved_on.pk, elsewhere.pk, 987654, fine.pk], user=kanoon_tehran
    )

    outcomes = {o.request_id: o for o in report.outcomes}
    assert len(report.outcomes) == 4  # an id selected twice is moved and reported once
    assert outcomes[fine.pk] == workflow.Outcome(fine.pk, fine.tracking_code)
    assert outcomes[moved_on.pk].refusal == single.value.message
    assert outcomes[moved_on.pk].tracking_code == moved_on.tracking_code
    assert outcomes[elsewhere.pk] == workflow.Outcome(elsewhere.pk, "", workflow.NOT_FOUND)  # looks like unknown
    assert outcomes[987654] == workflow.Outcome(987654, "", workflow.NOT_FOUND)
    elsewhere.refresh_from_db()
    assert elsewhere.status == S.KANOON_REVIEW
    assert OutboxMessage.objects.filter(request=elsewhere).count() == before


def test_a_guard_refuses_in_a_set_as_it_does_one_by_one(pensioner_a, kanoon_tehran, branch_tehran):
    changed, unchanged = [file_request(pensioner_a), *_more_requests(pensioner_a, 1)]
    _approved([changed, unchanged], kanoon_tehran)
    type(changed.pensioner).objects.filter(pk=changed.pensioner_id).update(
        paying_branch=Branch.objects.get(code="1020")
    )
    with pytest.raises(workflow.MoveRefused) as single:
        workflow.request_branch_accept(request_id=changed.pk, by=branch_tehran)
    report = workflow.moves_apply("branch_accept", [changed.pk, unchanged.pk], user=branch_tehran)
    assert [o.refusal for o in report.outcomes] == [single.value.message, None]
    assert not DeductionDocument.objects.filter(source_request=changed).exists()


def test_a_reason_outside_the_list_refuses_the_whole_set(submitted_a, kanoon_tehran):
    with pytest.raises(workflow.MoveRefused):
        workflow.moves_apply("kanoon_reject", [submitted_a.pk], user=kanoon_tehran, reason_code="nonsense")
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.KANOON_REVIEW


def test_the_pensioners_moves_are_never_made_in_sets(submitted_a, kanoon_tehran):
    with pytest.raises(ValueError):
        workflow.moves_apply("cancel", [submitted_a.pk], user=kanoon_tehran)


def _queries(move_name, requests, user, **options) -> int:
    with CaptureQueriesContext(connection) as captured:
        report = workflow.moves_apply(move_name, [r.pk for r in requests], user=user, **options)
    assert len(report.done) == len(requests), report.refused
    return len(captured.captured_queries)


def test_a_sets_queries_grow_with_its_chunks_not_its_requests(pensioner_a, kanoon_tehran, branch_tehran):
    requests = _more_requests(pensioner_a, 9)  # alike: each a pensioner alone, enrolling
    _approved(requests, kanoon_tehran)
    _queries("branch_accept", requests[8:], branch_tehran)  # the clerk's role and office for the log, read once
    few, many = requests[:2], requests[2:8]
    others = _more_requests(pensioner_a, 6)
    assert _queries("kanoon_approve", others[:2], kanoon_tehran) == _queries(
        "kanoon_approve", others[2:], kanoon_tehran
    )
    assert _queries("branch_accept", few, branch_tehran) == _queries("branch_accept", many, branch_tehran)


def test_each_chunk_adds_the_same_few_queries(pensioner_a, kanoon_tehran):
    requests = _more_requests(pensioner_a, 14)
    _queries("kanoon_approve", requests[:2], kanoon_tehran)  # the clerk's role and office for the log, read once
    one = _queries("kanoon_approve", requests[2:4], kanoon_tehran, chunk_size=2)
    two = _queries("kanoon_approve", requests[4:8], kanoon_tehran, chunk_size=2)
    three = _queries("kanoon_approve", requests[8:], kanoon_tehran, chunk_size=2)
    # savepoint, locking read, UPDATE, history, the previous history rows, audit entries, outbox, release
    assert three - two == two - one <= 8


def test_the_outbox_messages_of_a_set_are_handed_to_a_worker_after_commit(
    pensioner_a, kanoon_tehran, django_capture_on_commit_callbacks
):
    requests = [file_request(pensioner_a), *_more_requests(pensioner_a, 2)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workflow.moves_apply("kanoon_approve", [r.pk for r in requests], user=kanoon_tehran)
    assert callbacks  # the hand-over; the test settings run the send task at once
    sent = OutboxMessage.objects.filter(request__in=requests, template="kanoon_approved")
    assert sent.count() == 3 and set(sent.values_list("status", flat=True)) == {"sent"}


def test_a_broker_that_fails_costs_one_try_and_leaves_the_messages_to_the_sweep(
    pensioner_a, kanoon_tehran, django_capture_on_commit_callbacks, monkeypatch
):
    from enrollment.sms import services

    tries = []

    def broker_down(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("broker down")

    monkeypatch.setattr(services, "async_task", broker_down)
    requests = _more_requests(pensioner_a, 3)
    with django_capture_on_commit_callbacks(execute=True):
        report = workflow.moves_apply("kanoon_approve", [r.pk for r in requests], user=kanoon_tehran)
    assert len(report.done) == 3 and len(tries) == 1
    queued = OutboxMessage.objects.filter(request__in=requests, template="kanoon_approved", status="queued")
    assert queued.count() == 3  # committed with the moves; the sweep sends them


def test_the_cartable_action_has_the_same_queries_for_two_requests_or_six(client, pensioner_a, kanoon_tehran):
    requests = _more_requests(pensioner_a, 10)
    client.force_login(kanoon_tehran)
    url = "/admin/enrollment/enrollmentrequest/?status__exact=kanoon_review"
    client.get(url)  # the user's office ids cached, as after any page of the cartable

    def queries(selected) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, {"action": "kanoon_approve", "_selected_action": [r.pk for r in selected]})
        assert response.status_code == 302
        return len(captured.captured_queries)

    queries(requests[:2])  # the clerk's role and office for the audit log, read once
    assert queries(requests[2:4]) == queries(requests[4:])
