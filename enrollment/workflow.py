"""Every move of a request, in one place (DESIGN.md «Statuses of a request»).

MOVES is the table: from which statuses, to which, who may make it, what must hold of the request
(its guard), which SMS announces it, whether a reason is required. `_move` is the one place a status
changes: inside a transaction it locks the row, checks the actor and the guard, applies the move,
writes the history record (who and why) and queues the SMS. A refused move raises MoveRefused with a
Persian message and changes nothing.

`moves_apply` makes a staff move for a set of requests (the cartable's actions), a chunk per
transaction, from the same table, checks and appliers: each request ends as `_move` would leave it,
or is reported with `_move`'s refusal. It skips rows a colleague's transaction holds and reports them.

Everything else asks this module rather than restating the table: `moves_available` (the request
page's buttons, the pensioner's cancel link), `move_open` (the cartable's "branch changed" flag),
`queue_of` (the queue a Kanoon or a branch works, the default cartable list), `claimable`.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core import jalali
from core.queries import KeyedRead, unique_row
from enrollment import roles
from enrollment.deductions.payroll import payroll_apply, payroll_apply_set
from enrollment.models import Branch, EnrollmentRequest, Pensioner, RejectionReason, RequestStatus
from enrollment.sms.services import sms_queue, sms_queue_many
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


# The request a move locks, with what its guards and its SMS read: a row every submission and every
# single staff move reads.
_MOVING = KeyedRead(
    lambda pk: (
        EnrollmentRequest.objects.select_for_update(of=("self",))
        .select_related("pensioner", "kanoon", "branch", "period")
        .filter(pk=pk)
        .order_by()[:1]
    )
)


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
        request = _MOVING.row(pk=request_id)
        if request is None or not _may_act(move, request, user=user, pensioner=pensioner):
            raise MoveRefused(NOT_FOUND)
        if refusal := _refusal(move, request, reason):
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


def _refusal(move: Move, request: EnrollmentRequest, reason: str) -> str | None:
    """Why a request the actor may act on cannot make the move now: its status, a missing reason, the guard."""
    if request.status not in move.sources:
        return f"«{move.label}» برای درخواستی با وضعیت «{request.get_status_display()}» ممکن نیست."
    if move.needs_reason and not reason.strip():
        return f"برای «{move.label}» ذکر علت لازم است."
    return move.guard(request) if move.guard else None


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


def _approve_apply(note: str, now: dt.datetime | None = None) -> Callable[[EnrollmentRequest], None]:
    """`now`: a set's one moment, so that its requests share the values of one UPDATE."""

    def apply(request: EnrollmentRequest) -> None:
        request.waiting_since = now or timezone.now()
        request.decision_note = note.strip()

    return apply


def _reject_apply(reason_code: str, note: str) -> Callable[[EnrollmentRequest], None]:
    def apply(request: EnrollmentRequest) -> None:
        request.rejection_reason = reason_code
        request.decision_note = note.strip()

    return apply


def _transfer_apply(
    branch_of: Callable[[int], Branch], now: dt.datetime | None = None
) -> Callable[[EnrollmentRequest], None]:
    """To the pensioner's current paying branch; `branch_of` finds it by id (one query, or a set's dict)."""

    def apply(request: EnrollmentRequest) -> None:
        request.branch = branch_of(request.pensioner.paying_branch_id)
        request.waiting_since = now or timezone.now()

    return apply


def _transfer_sms(request: EnrollmentRequest) -> dict:
    return {"branch": request.branch.name}


TRANSFER_REASON = "ارسال به شعبه پرداخت‌کننده فعلی"


def request_kanoon_approve(*, request_id: int, by: AbstractBaseUser, note: str = "") -> EnrollmentRequest:
    return _move("kanoon_approve", request_id=request_id, user=by, reason=note, apply=_approve_apply(note))


def _reject(move_name: str, *, request_id: int, by: AbstractBaseUser, reason_code: str, note: str):
    """A rejection: a reason from the coded list, and free text the pensioner reads in the SMS and the page."""
    reason = _reason_text(reason_code, note)
    return _move(move_name, request_id=request_id, user=by, reason=reason, apply=_reject_apply(reason_code, note))


def request_kanoon_reject(
    *, request_id: int, by: AbstractBaseUser, reason_code: str, note: str = ""
) -> EnrollmentRequest:
    return _reject("kanoon_reject", request_id=request_id, by=by, reason_code=reason_code, note=note)


def request_branch_transfer(*, request_id: int, by: AbstractBaseUser) -> EnrollmentRequest:
    """Sends the request to the pensioner's current paying branch; the scope moves with it."""
    return _move(
        "branch_transfer",
        request_id=request_id,
        user=by,
        reason=TRANSFER_REASON,
        apply=_transfer_apply(lambda pk: Branch.objects.get(pk=pk)),
        sms_context=_transfer_sms,
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
        request = unique_row(
            EnrollmentRequest.objects.select_for_update(of=("self",))
            .select_related("kanoon", "branch", "claimed_by")
            .filter(pk=request_id)
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


# -- moves in sets -------------------------------------------------------------------------------------

SET_CHUNK = 200
HELD = "این درخواست هم‌اکنون در دست همکار دیگری است؛ کمی بعد دوباره امتحان کنید."


@dataclass(frozen=True)
class Outcome:
    """One request of a set: done when `refusal` is None. `tracking_code` is empty for a request the
    actor may not see (reported as not found, without telling whether it exists)."""

    request_id: int
    tracking_code: str
    refusal: str | None = None


@dataclass
class SetReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def done(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.refusal is None]

    @property
    def refused(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.refusal is not None]


@dataclass(frozen=True)
class _SetPlan:
    """What a staff move writes, for a chunk of requests at once: the same reason, fields and SMS as
    the move's single-request service."""

    reason: str
    fields: tuple[str, ...]
    prepare: Callable[[list[EnrollmentRequest], dt.datetime], Callable[[EnrollmentRequest], None]]  # a chunk's apply
    sms_context: Callable[[EnrollmentRequest], dict] | None = None
    after: Callable[[list[EnrollmentRequest]], None] | None = None  # effects beyond the request rows


def moves_apply(
    move_name: str,
    request_ids: Iterable[int],
    *,
    user: AbstractBaseUser,
    note: str = "",
    reason_code: str = "",
    today: dt.date | None = None,
    chunk_size: int = SET_CHUNK,
) -> SetReport:
    """A staff move for a set of requests of any size, in transactions of `chunk_size` requests.

    Each request ends as its single-request service would leave it (status, fields, history with the
    user and reason, SMS, payroll on acceptance), or is reported refused with the same Persian message;
    a request a colleague's transaction holds is reported (HELD), never waited on. `request_ids` may be
    a generator: it is read a chunk at a time. A reason code outside the list refuses the whole set.
    """
    move = MOVES[move_name]
    if move.actor == PENSIONER:
        raise ValueError(f"{move_name} is the pensioner's move, never made in sets")
    plan = _set_plan(move_name, user=user, note=note, reason_code=reason_code, today=today)
    may_act = _actor_check(move, user)
    report = SetReport()
    for chunk in _chunks(request_ids, chunk_size):
        report.outcomes += _chunk_move(move, plan, chunk, user=user, may_act=may_act)
    return report


def _set_plan(move_name: str, *, user, note: str, reason_code: str, today: dt.date | None) -> _SetPlan:
    if move_name == "kanoon_approve":
        return _SetPlan(note, ("waiting_since", "decision_note"), lambda rows, now: _approve_apply(note, now))
    if move_name in ("kanoon_reject", "branch_reject"):
        reason = _reason_text(reason_code, note)
        return _SetPlan(
            reason, ("rejection_reason", "decision_note"), lambda rows, now: _reject_apply(reason_code, note)
        )
    if move_name == "branch_transfer":
        return _SetPlan(TRANSFER_REASON, ("branch", "waiting_since"), _transfer_prepare, sms_context=_transfer_sms)

    def payroll(rows: list[EnrollmentRequest]) -> None:
        payroll_apply_set(requests=rows, by=user, today=today or jalali.today())

    return _SetPlan("", (), lambda rows, now: _nothing, after=payroll)  # branch_accept


def _nothing(request: EnrollmentRequest) -> None:
    return None


def _transfer_prepare(rows: list[EnrollmentRequest], now: dt.datetime) -> Callable[[EnrollmentRequest], None]:
    branches = Branch.objects.in_bulk({request.pensioner.paying_branch_id for request in rows})
    return _transfer_apply(branches.__getitem__, now)


def _actor_check(move: Move, user: AbstractBaseUser) -> Callable[[EnrollmentRequest], bool]:
    """_may_act, asked once per Kanoon or branch of the set rather than once per request."""
    known: dict[int, bool] = {}

    def may_act(request: EnrollmentRequest) -> bool:
        office = request.kanoon_id if move.actor == KANOON else request.branch_id
        if office not in known:
            known[office] = _may_act(move, request, user=user, pensioner=None)
        return known[office]

    return may_act


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    """The ids in lists of `size`, each id once."""
    seen: set[int] = set()
    chunk: list[int] = []
    for pk in ids:
        if pk in seen:
            continue
        seen.add(pk)
        chunk.append(pk)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunk_move(move: Move, plan: _SetPlan, chunk: list[int], *, user, may_act) -> list[Outcome]:
    with transaction.atomic():
        rows = {
            request.pk: request
            for request in EnrollmentRequest.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("pensioner", "kanoon", "branch", "period")
            .filter(pk__in=chunk)
        }
        held = _held([pk for pk in chunk if pk not in rows], may_act)
        outcomes, movable = [], []
        for pk in chunk:
            request = rows.get(pk)
            if request is None:
                outcomes.append(Outcome(pk, held.get(pk, ""), HELD if pk in held else NOT_FOUND))
            elif not may_act(request):
                outcomes.append(Outcome(pk, "", NOT_FOUND))
            elif refusal := _refusal(move, request, plan.reason):
                outcomes.append(Outcome(pk, request.tracking_code, refusal))
            else:
                movable.append(request)
                outcomes.append(Outcome(pk, request.tracking_code))
        if movable:
            _rows_move(move, plan, movable, user=user)
    return outcomes


def _held(missing: list[int], may_act) -> dict[int, str]:
    """Of the ids the locking read skipped, those that exist and the actor may act on: a colleague's
    transaction holds them. The rest are not found (or out of scope, which must look the same)."""
    if not missing:
        return {}
    queryset = EnrollmentRequest.objects.select_related("kanoon", "branch").filter(pk__in=missing)
    return {request.pk: request.tracking_code for request in queryset if may_act(request)}


def _rows_move(move: Move, plan: _SetPlan, requests: list[EnrollmentRequest], *, user) -> None:
    """_move's apply, history and SMS for locked requests that passed every check: the UPDATE, the
    history rows and the outbox rows each written in one statement for the chunk."""
    now = timezone.now()
    apply = plan.prepare(requests, now)
    for request in requests:
        previous = request.get_status_display()
        request.status = move.target
        request.claimed_by = None  # whoever works it next starts unclaimed
        request.claimed_at = None
        apply(request)
        request.updated_at = now
        request._history_user = user
        request._change_reason = _history_reason(move, previous, plan.reason)
    if plan.after:
        plan.after(requests)
    _rows_update(requests, ["status", "claimed_by", "claimed_at", "updated_at", *plan.fields])
    EnrollmentRequest.history.bulk_history_create(requests, update=True, default_user=user)
    sms_queue_many([_sms_of(move, plan, request) for request in requests])


def _rows_update(requests: list[EnrollmentRequest], fields: list[str]) -> None:
    """One UPDATE for the requests that take the same values: all of a chunk, but for a transfer's
    one per new branch. (bulk_update's CASE per row and field costs seconds on a thousand rows.)"""
    attnames = [EnrollmentRequest._meta.get_field(name).attname for name in fields]
    alike: dict[tuple, list[int]] = {}
    for request in requests:
        alike.setdefault(tuple(getattr(request, name) for name in attnames), []).append(request.pk)
    for values, ids in alike.items():
        EnrollmentRequest.objects.filter(pk__in=ids).update(**dict(zip(attnames, values, strict=True)))


def _sms_of(move: Move, plan: _SetPlan, request: EnrollmentRequest) -> dict:
    context = {"tracking_code": request.tracking_code, "reason": plan.reason}
    if plan.sms_context:
        context.update(plan.sms_context(request))
    return {"mobile": request.pensioner.mobile, "template": move.sms, "request": request, **context}
