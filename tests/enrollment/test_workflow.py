"""Every move of the workflow and every refusal: status, history (who, why), SMS, nothing else changed."""

import pytest

from enrollment import workflow
from enrollment.models import EnrollmentRequest, RequestStatus
from enrollment.sms.models import OutboxMessage
from enrollment.workflow import MoveRefused
from tests.enrollment.conftest import file_request

S = RequestStatus


def _state(request: EnrollmentRequest) -> tuple:
    request.refresh_from_db()
    return (request.status, request.history.count(), OutboxMessage.objects.filter(request=request).count())


def _latest_history(request: EnrollmentRequest):
    return request.history.order_by("-history_date", "-history_id").first()


def test_submit_moves_to_kanoon_review_with_history_and_sms(submitted_a, pensioner_a):
    assert submitted_a.status == S.KANOON_REVIEW
    assert submitted_a.submitted_at is not None and submitted_a.waiting_since == submitted_a.submitted_at
    record = _latest_history(submitted_a)
    assert record.status == S.KANOON_REVIEW and record.history_user is None
    assert record.history_change_reason.startswith("ثبت نهایی درخواست")
    sms = OutboxMessage.objects.get(request=submitted_a)
    assert sms.mobile == "09120000001" and submitted_a.tracking_code in sms.text


def test_kanoon_approve_moves_to_branch_and_records_user_and_note(submitted_a, kanoon_tehran):
    request = workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran, note="مدارک کامل است")
    request.refresh_from_db()
    assert request.status == S.BRANCH_REVIEW
    record = _latest_history(request)
    assert record.history_user == kanoon_tehran
    assert "مدارک کامل است" in record.history_change_reason
    assert OutboxMessage.objects.filter(request=request, template="kanoon_approved").count() == 1


def test_kanoon_reject_needs_a_coded_reason_and_tells_the_pensioner(submitted_a, kanoon_tehran):
    before = _state(submitted_a)
    with pytest.raises(MoveRefused) as error:
        workflow.request_kanoon_reject(request_id=submitted_a.pk, by=kanoon_tehran, reason_code="", note="x")
    assert "فهرست" in error.value.message
    assert _state(submitted_a) == before
    workflow.request_kanoon_reject(
        request_id=submitted_a.pk, by=kanoon_tehran, reason_code="dependent_mismatch", note="تاریخ تولد فرزند"
    )
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.KANOON_REJECTED and submitted_a.rejection_reason == "dependent_mismatch"
    sms = OutboxMessage.objects.get(request=submitted_a, template="kanoon_rejected")
    assert "مغایرت اطلاعات افراد تبعی - تاریخ تولد فرزند" in sms.text
    assert "مغایرت اطلاعات افراد تبعی" in _latest_history(submitted_a).history_change_reason


def test_another_countys_kanoon_cannot_approve_and_it_looks_like_not_found(submitted_a, kanoon_karaj):
    before = _state(submitted_a)
    with pytest.raises(MoveRefused) as error:
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_karaj)
    assert error.value.message == workflow.NOT_FOUND
    assert _state(submitted_a) == before


@pytest.mark.parametrize("username", ["branch_tehran", "manager", "auditor"])
def test_non_kanoon_staff_cannot_make_the_kanoons_move(submitted_a, username, django_user_model):
    before = _state(submitted_a)
    with pytest.raises(MoveRefused):
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=django_user_model.objects.get(username=username))
    assert _state(submitted_a) == before


def test_branch_cannot_accept_before_the_kanoon_approved(submitted_a, branch_tehran):
    before = _state(submitted_a)
    with pytest.raises(MoveRefused) as error:
        workflow.request_branch_accept(request_id=submitted_a.pk, by=branch_tehran)
    assert "در حال بررسی کانون" in error.value.message
    assert _state(submitted_a) == before


def test_an_unknown_request_id_is_refused_as_not_found(world, kanoon_tehran):
    with pytest.raises(MoveRefused) as error:
        workflow.request_kanoon_approve(request_id=987654, by=kanoon_tehran)
    assert error.value.message == workflow.NOT_FOUND


def test_approving_twice_is_refused_and_writes_nothing_more(submitted_a, kanoon_tehran):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    after_first = _state(submitted_a)
    with pytest.raises(MoveRefused):
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    assert _state(submitted_a) == after_first


def test_branch_reject_with_reason(submitted_a, kanoon_tehran, branch_tehran):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    with pytest.raises(MoveRefused):
        workflow.request_branch_reject(request_id=submitted_a.pk, by=branch_tehran, reason_code="nonsense")
    workflow.request_branch_reject(request_id=submitted_a.pk, by=branch_tehran, reason_code="incomplete_documents")
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.BRANCH_REJECTED
    assert _latest_history(submitted_a).history_user == branch_tehran


def test_other_branch_cannot_act(submitted_a, kanoon_tehran, branch_karaj):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    before = _state(submitted_a)
    with pytest.raises(MoveRefused) as error:
        workflow.request_branch_accept(request_id=submitted_a.pk, by=branch_karaj)
    assert error.value.message == workflow.NOT_FOUND
    assert _state(submitted_a) == before


def test_paying_branch_changed_blocks_acceptance_until_transferred(submitted_a, kanoon_tehran, branch_tehran, world):
    from enrollment.models import Branch
    from tests.enrollment.conftest import _user

    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    new_branch = Branch.objects.get(code="1020")
    submitted_a.pensioner.paying_branch = new_branch
    submitted_a.pensioner.save()
    with pytest.raises(MoveRefused) as error:
        workflow.request_branch_accept(request_id=submitted_a.pk, by=branch_tehran)
    assert "تغییر شعبه بیمه‌پردازی" in error.value.message
    workflow.request_branch_transfer(request_id=submitted_a.pk, by=branch_tehran)
    submitted_a.refresh_from_db()
    assert (submitted_a.status, submitted_a.branch) == (S.BRANCH_REVIEW, new_branch)
    assert OutboxMessage.objects.filter(request=submitted_a, template="branch_transferred").exists()
    # the scope moved with it: the old branch can no longer act, nor transfer again
    with pytest.raises(MoveRefused):
        workflow.request_branch_transfer(request_id=submitted_a.pk, by=branch_tehran)
    from enrollment.roles import branch_assign

    other = _user("branch_karaj")
    branch_assign(user=other, branch=new_branch)
    workflow.request_branch_accept(request_id=submitted_a.pk, by=other)
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.ACCEPTED


def test_transfer_is_refused_when_the_branch_has_not_changed(submitted_a, kanoon_tehran, branch_tehran):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    before = _state(submitted_a)
    with pytest.raises(MoveRefused):
        workflow.request_branch_transfer(request_id=submitted_a.pk, by=branch_tehran)
    assert _state(submitted_a) == before


def test_pensioner_cancels_before_any_staff_action(submitted_a, pensioner_a):
    workflow.request_cancel(request_id=submitted_a.pk, pensioner=pensioner_a)
    submitted_a.refresh_from_db()
    assert submitted_a.status == S.CANCELLED
    assert OutboxMessage.objects.filter(request=submitted_a, template="request_cancelled").count() == 1


def test_pensioner_cannot_cancel_once_a_kanoon_user_claimed_it(submitted_a, pensioner_a, kanoon_tehran):
    workflow.request_claim(request_id=submitted_a.pk, by=kanoon_tehran)
    before = _state(submitted_a)
    with pytest.raises(MoveRefused):
        workflow.request_cancel(request_id=submitted_a.pk, pensioner=pensioner_a)
    assert _state(submitted_a) == before


def test_pensioner_cannot_cancel_after_kanoon_approval(submitted_a, pensioner_a, kanoon_tehran):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    with pytest.raises(MoveRefused):
        workflow.request_cancel(request_id=submitted_a.pk, pensioner=pensioner_a)


def test_another_pensioner_cannot_cancel(submitted_a, pensioner_b):
    with pytest.raises(MoveRefused) as error:
        workflow.request_cancel(request_id=submitted_a.pk, pensioner=pensioner_b)
    assert error.value.message == workflow.NOT_FOUND


def test_claim_names_the_colleague_who_holds_it(submitted_a, kanoon_tehran, django_user_model):
    from enrollment.roles import kanoon_assign

    colleague = django_user_model.objects.create_user(
        "kanoon_tehran_2", is_staff=True, first_name="سارا", last_name="نوری"
    )
    kanoon_assign(user=colleague, kanoon=submitted_a.kanoon)
    workflow.request_claim(request_id=submitted_a.pk, by=kanoon_tehran)
    workflow.request_claim(request_id=submitted_a.pk, by=kanoon_tehran)  # again: a no-op
    with pytest.raises(MoveRefused) as error:
        workflow.request_claim(request_id=submitted_a.pk, by=colleague)
    assert kanoon_tehran.get_full_name() in error.value.message  # colleagues are named
    submitted_a.refresh_from_db()
    assert submitted_a.claimed_by == kanoon_tehran
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=colleague)
    submitted_a.refresh_from_db()
    assert submitted_a.claimed_by is None


def test_the_move_table_matches_the_design():
    assert {name: (m.sources, m.target) for name, m in workflow.MOVES.items()} == {
        "submit": ((S.DRAFT,), S.KANOON_REVIEW),
        "cancel": ((S.KANOON_REVIEW,), S.CANCELLED),
        "kanoon_approve": ((S.KANOON_REVIEW,), S.BRANCH_REVIEW),
        "kanoon_reject": ((S.KANOON_REVIEW,), S.KANOON_REJECTED),
        "branch_transfer": ((S.BRANCH_REVIEW,), S.BRANCH_REVIEW),
        "branch_accept": ((S.BRANCH_REVIEW,), S.ACCEPTED),
        "branch_reject": ((S.BRANCH_REVIEW,), S.BRANCH_REJECTED),
    }


def test_a_second_request_cannot_be_filed_while_one_is_in_review(submitted_a, pensioner_a):
    with pytest.raises(MoveRefused) as error:
        file_request(pensioner_a)
    assert submitted_a.tracking_code in error.value.message


# --- The workflow asked: what each person may do with a request now --------------------------------


def _names(request: EnrollmentRequest, **who) -> list[str]:
    request.refresh_from_db()
    return [move.name for move in workflow.moves_available(request, **who)]


def test_moves_available_follow_the_table_the_actor_and_the_guards(
    submitted_a, pensioner_a, kanoon_tehran, kanoon_karaj, branch_tehran
):
    assert _names(submitted_a, pensioner=pensioner_a) == ["cancel"]
    assert _names(submitted_a, user=kanoon_tehran) == ["kanoon_approve", "kanoon_reject"]
    assert _names(submitted_a, user=kanoon_karaj) == []  # another county's Kanoon
    assert _names(submitted_a, user=branch_tehran) == []  # not the branch's turn yet
    workflow.request_claim(request_id=submitted_a.pk, by=kanoon_tehran)
    assert _names(submitted_a, pensioner=pensioner_a) == []  # picked up: too late to cancel
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    assert _names(submitted_a, user=branch_tehran) == ["branch_accept", "branch_reject"]
    assert workflow.claimable(submitted_a, user=branch_tehran)
    assert not workflow.claimable(submitted_a, user=kanoon_tehran)


def test_a_changed_paying_branch_leaves_only_the_transfer_and_refuses_a_rejection(
    submitted_a, kanoon_tehran, branch_tehran
):
    from enrollment.models import Branch

    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    submitted_a.pensioner.paying_branch = Branch.objects.get(code="1020")
    submitted_a.pensioner.save()
    assert _names(submitted_a, user=branch_tehran) == ["branch_transfer"]
    assert workflow.move_open("branch_transfer", submitted_a) and not workflow.move_open("branch_accept", submitted_a)
    before = _state(submitted_a)
    with pytest.raises(MoveRefused) as error:
        workflow.request_branch_reject(request_id=submitted_a.pk, by=branch_tehran, reason_code="other", note="x")
    assert "تغییر شعبه بیمه‌پردازی" in error.value.message
    assert _state(submitted_a) == before


def test_the_queues_and_the_review_statuses_come_from_the_table():
    assert workflow.queue_of(workflow.KANOON) == S.KANOON_REVIEW
    assert workflow.queue_of(workflow.BRANCH) == S.BRANCH_REVIEW
    assert set(workflow.IN_REVIEW) == {S.KANOON_REVIEW, S.BRANCH_REVIEW}
