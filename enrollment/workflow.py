"""Every move of a request, in one place (DESIGN.md «Statuses of a request»).

MOVES is the table: from which statuses, to which, who may make it, what must hold of the request
(its guard), which SMS announces it, whether a reason is required. `_move` is the one place a status
changes: inside a transaction it locks the row, checks the actor and the guard, applies the move,
writes the history record (who and why) and queues the SMS. A refused move raises MoveRefused with a
Persian message and changes nothing.

Everything else asks this module rather than restating the table: `moves_available` (the request
page's buttons, the pensioner's cancel link), `move_open` (the cartable's "branch changed" flag),
`queue_of` (the queue a Kanoon or a branch works, the default cartable list), `claimable`.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core import jalali
from enrollment import roles
from enrollment.deductions.payroll import payroll_apply
from enrollment.models import Branch, EnrollmentRequest, Pensioner, RejectionReason, RequestStatus
from enrollment.sms.services import sms_queue
from policies.services import period_contract_lock

S = RequestStatus
PENSIONER, KANOON, BRANCH = "pensioner", "kanoon", "branch"


class MoveRefused(Exception):
    """A move that may not happen; `message` is Persian and fit to show the person who tried it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


Guard = Callable[[EnrollmentRequest], str | None]


def _unclaimed(request: EnrollmentRequest) -> str | None:
    """Only before any staff action: nobody has picked the request up."""
    if request.claimed_by_id:
        return "کارشناس کانون رسیدگی به این درخواست را آغاز کرده است و دیگر قابل لغو نیست."
    return None


def _paying_branch_changed(request: EnrollmentRequest) -> str | None:
    if request.pensioner.paying_branch_id == request.branch_id:
        return "شعبه پرداخت‌کننده مستمری تغییری نکرده است؛ درخواست در همین شعبه رسیدگی می‌شود."
    return None


def _paying_branch_unchanged(request: EnrollmentRequest) -> str | None:
    """A branch decides only its own pensioners' requests; one whose pension moved goes on first."""
    if request.pensioner.paying_branch_id != request.branch_id:
        return (
            "شعبه پرداخت‌کننده مستمری این مستمری‌بگیر تغییر کرده است؛ "
            "ابتدا با «تغییر شعبه بیمه‌پردازی» درخواست را به شعبه جدید بفرستید."
        )
    return None


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    actor: str
    sms: str
    needs_reason: bool = False
    guard: Guard | None = None  # why the move may not be made now, or None when it may


MOVES: dict[str, Move] = {
    move.name: move
    for move in [
        Move("submit", "ثبت نهایی درخواست", (S.DRAFT,), S.KANOON_REVIEW, PENSIONER, "request_submitted"),
        Move(
            "cancel", "لغو درخواست", (S.KANOON_REVIEW,), S.CANCELLED, PENSIONER, "request_cancelled", guard=_unclaimed
        ),
        Move("kanoon_approve", "تایید کانون", (S.KANOON_REVIEW,), S.BRANCH_REVIEW, KANOON, "kanoon_approved"),
        Move(
            "kanoon_reject", "عدم تایید کانون", (S.KANOON_REVIEW,), S.KANOON_REJECTED, KANOON, "kanoon_rejected", True
        ),
        Move(
            "branch_transfer",
            "تغییر شعبه بیمه‌پردازی",
            (S.BRANCH_REVIEW,),
            S.BRANCH_REVIEW,
            BRANCH,
            "branch_transferred",
            guard=_paying_branch_changed,
        ),
        Move(
            "branch_accept",
            "پذیرش شعبه",
            (S.BRANCH_REVIEW,),
            S.ACCEPTED,
            BRANCH,
            "branch_accepted",
            guard=_paying_branch_unchanged,
        ),
        Move(
            "branch_reject",
            "عدم تایید شعبه",
            (S.BRANCH_REVIEW,),
            S.BRANCH_REJECTED,
            BRANCH,
            "branch_rejected",
            True,
            guard=_paying_branch_unchanged,
        ),
    ]
}

NOT_FOUND = "این درخواست یافت نشد."
NOT_WAITING = "این درخواست در انتظار رسیدگی نیست."


def _staff_moves_from(status: str) -> list[Move]:
    return [move for move in MOVES.values() if move.actor != PENSIONER and status in move.sources]


# The statuses in which a request waits for the Kanoon or the branch: being reviewed.
IN_REVIEW = tuple(status for status in S.values if _staff_moves_from(status))


def queue_of(actor: str) -> str:
    """The status whose requests wait for `actor` (KANOON or BRANCH): where its moves start."""
    (status,) = {source for move in MOVES.values() if move.actor == actor for source in move.sources}
    return status


def move_open(name: str, request: EnrollmentRequest) -> bool:
    """Whether the request's status and its guard allow the move now, whoever would make it."""
    move = MOVES[name]
    return request.status in move.sources and (move.guard is None or move.guard(request) is None)


def moves_available(
    request: EnrollmentRequest, *, user: AbstractBaseUser | None = None, pensioner: Pensioner | None = None
) -> list[Move]:
    """The moves `user` (staff) or `pensioner` may make on the request now, in MOVES order. Advice for
    pages: the move itself checks again under the row lock."""
    return [
        move
        for move in MOVES.values()
        if move_open(move.name, request) and _may_act(move, request, user=user, pensioner=pensioner)
    ]


def claimable(request: EnrollmentRequest, *, user: AbstractBaseUser) -> bool:
    """A request waits for staff and `user` may make one of its moves (the claim marks who works it)."""
    return any(_may_act(move, request, user=user, pensioner=None) for move in _staff_moves_from(request.status))


def _may_act(move: Move, request: EnrollmentRequest, *, user: AbstractBaseUser | None, pensioner: Pensioner | None):
    if move.actor == PENSIONER:
        return pensioner is not None and request.pensioner_id == pensioner.pk
    if user is None or not user.is_active or not user.is_staff:
        return False
    if move.actor == KANOON:
        return user.has_perm(roles.REVIEW_KANOON, request.kanoon)
    return user.has_perm(roles.PROCESS_BRANCH, request.branch)


def _move(
    move_name: str,
    *,
    request_id: int,
    user: AbstractBaseUser | None = None,
    pensioner: Pensioner | None = None,
    reason: str = "",
    check: Callable[[EnrollmentRequest], None] | None = None,
    apply: Callable[[EnrollmentRequest], None] | None = None,
    sms_context: Callable[[EnrollmentRequest], dict] | None = None,
) -> EnrollmentRequest:
    move = MOVES[move_name]
    with transaction.atomic():
        request = (
            EnrollmentRequest.objects.select_for_update(of=("self",))
            .select_related("pensioner", "kanoon", "branch", "period")
            .filter(pk=request_id)
            .first()
        )
        if request is None or not _may_act(move, request, user=user, pensioner=pensioner):
            raise MoveRefused(NOT_FOUND)
        if request.status not in move.sources:
            raise MoveRefused(f"«{move.label}» برای درخواستی با وضعیت «{request.get_status_display()}» ممکن نیست.")
        if move.needs_reason and not reason.strip():
            raise MoveRefused(f"برای «{move.label}» ذکر علت لازم است.")
        refusal = move.guard(request) if move.guard else None
        if refusal:
            raise MoveRefused(refusal)
        if check:
            check(request)
        previous = request.get_status_display()
        request.status = move.target
        request.claimed_by = None  # whoever works it next starts unclaimed
        request.claimed_at = None
        if apply:
            apply(request)
        request._history_user = user
        request._change_reason = _history_reason(move, previous, reason)
        request.save()
        context = {"tracking_code": request.tracking_code, "reason": reason}
        if sms_context:
            context.update(sms_context(request))
        sms_queue(mobile=request.pensioner.mobile, template=move.sms, request=request, **context)
    return request


def _history_reason(move: Move, previous: str, reason: str) -> str:
    text = f"{move.label}: از «{previous}»"
    return f"{text} — {reason.strip()}" if reason.strip() else text


def _reason_text(code: str, note: str) -> str:
    if code not in RejectionReason.values:
        raise MoveRefused("علت عدم تایید را از فهرست انتخاب کنید.")
    label = RejectionReason(code).label
    return f"{label} - {note.strip()}" if note.strip() else label


def request_submit(*, request_id: int, pensioner: Pensioner, check: Callable | None = None) -> EnrollmentRequest:
    """Step 4's «ثبت نهایی». `check` re-validates the choices (window, rules) under the row lock."""

    def apply(request: EnrollmentRequest) -> None:
        now = timezone.now()
        request.submitted_at = now
        request.waiting_since = now
        period_contract_lock(request.period)

    return _move("submit", request_id=request_id, pensioner=pensioner, check=check, apply=apply)


def request_cancel(*, request_id: int, pensioner: Pensioner) -> EnrollmentRequest:
    """Only before any staff action: still with the Kanoon and nobody has picked it up (the move's guard)."""
    return _move("cancel", request_id=request_id, pensioner=pensioner)


def request_kanoon_approve(*, request_id: int, by: AbstractBaseUser, note: str = "") -> EnrollmentRequest:
    def apply(request: EnrollmentRequest) -> None:
        request.waiting_since = timezone.now()
        request.decision_note = note.strip()

    return _move("kanoon_approve", request_id=request_id, user=by, reason=note, apply=apply)


def _reject(move_name: str, *, request_id: int, by: AbstractBaseUser, reason_code: str, note: str):
    """A rejection: a reason from the coded list, and free text the pensioner reads in the SMS and the page."""
    reason = _reason_text(reason_code, note)

    def apply(request: EnrollmentRequest) -> None:
        request.rejection_reason = reason_code
        request.decision_note = note.strip()

    return _move(move_name, request_id=request_id, user=by, reason=reason, apply=apply)


def request_kanoon_reject(
    *, request_id: int, by: AbstractBaseUser, reason_code: str, note: str = ""
) -> EnrollmentRequest:
    return _reject("kanoon_reject", request_id=request_id, by=by, reason_code=reason_code, note=note)


def request_branch_transfer(*, request_id: int, by: AbstractBaseUser) -> EnrollmentRequest:
    """Sends the request to the pensioner's current paying branch; the scope moves with it."""

    def apply(request: EnrollmentRequest) -> None:
        request.branch = Branch.objects.get(pk=request.pensioner.paying_branch_id)
        request.waiting_since = timezone.now()

    def sms_context(request: EnrollmentRequest) -> dict:
        return {"branch": request.branch.name}

    return _move(
        "branch_transfer",
        request_id=request_id,
        user=by,
        reason="ارسال به شعبه پرداخت‌کننده فعلی",
        apply=apply,
        sms_context=sms_context,
    )


def request_branch_accept(*, request_id: int, by: AbstractBaseUser, today: dt.date | None = None) -> EnrollmentRequest:
    """«پذیرش»: the request is final and its effects reach the payroll in the same transaction."""

    def apply(request: EnrollmentRequest) -> None:
        payroll_apply(request=request, by=by, today=today or jalali.today())

    return _move("branch_accept", request_id=request_id, user=by, apply=apply)


def request_branch_reject(
    *, request_id: int, by: AbstractBaseUser, reason_code: str, note: str = ""
) -> EnrollmentRequest:
    return _reject("branch_reject", request_id=request_id, by=by, reason_code=reason_code, note=note)


def request_claim(*, request_id: int, by: AbstractBaseUser) -> EnrollmentRequest:
    """«در حال رسیدگی توسط ...»: marks who works a request so two colleagues do not both take it.

    Not a move (the status stays); refused when a colleague holds it, a no-op when `by` already does.
    """
    with transaction.atomic():
        request = (
            EnrollmentRequest.objects.select_for_update(of=("self",))
            .select_related("kanoon", "branch", "claimed_by")
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            raise MoveRefused(NOT_FOUND)
        if not _staff_moves_from(request.status):
            raise MoveRefused(NOT_WAITING)
        if not claimable(request, user=by):
            raise MoveRefused(NOT_FOUND)
        if request.claimed_by_id == by.pk:
            return request
        if request.claimed_by_id:
            holder = request.claimed_by.get_full_name() or request.claimed_by.get_username()
            raise MoveRefused(f"این درخواست در حال رسیدگی توسط {holder} است.")
        request.claimed_by = by
        request.claimed_at = timezone.now()
        request._history_user = by
        request._change_reason = "شروع رسیدگی"
        request.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return request
