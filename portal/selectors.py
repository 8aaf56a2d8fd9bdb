"""What the public pages read: announcements, and a pensioner's requests with their timelines."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from core.queries import KeyedRead
from enrollment import workflow
from enrollment.models import EnrollmentRequest, Pensioner, RejectionReason, RequestStatus
from portal.models import Announcement

REJECTED = {RequestStatus.KANOON_REJECTED, RequestStatus.BRANCH_REJECTED}


def announcements_published(*, limit: int = 10) -> QuerySet[Announcement]:
    return Announcement.objects.published()[:limit]


def announcement_visible(pk: int, *, user: AbstractBaseUser | AnonymousUser) -> Announcement | None:
    """A published announcement; staff who may view announcements also see drafts (the admin's preview)."""
    if user.is_active and user.is_staff and user.has_perm("portal.view_announcement"):
        return Announcement.objects.filter(pk=pk).first()
    return Announcement.objects.published().filter(pk=pk).first()


@dataclass(frozen=True)
class TimelineStep:
    status_label: str
    at: dt.datetime
    reason: str


@dataclass(frozen=True)
class RequestCard:
    request: EnrollmentRequest
    timeline: list[TimelineStep]

    @property
    def can_cancel(self) -> bool:
        return cancel_offered(self.request)


def cancel_offered(request: EnrollmentRequest) -> bool:
    """«لغو درخواست» is offered when the workflow offers it to the request's own pensioner;
    workflow.request_cancel decides in the end."""
    moves = workflow.moves_available(request, pensioner=Pensioner(pk=request.pensioner_id))
    return any(move.name == "cancel" for move in moves)


def _reason(record) -> str:
    """The rejection's coded reason and note, as the history row of the rejection holds them."""
    if record.status not in REJECTED or not record.rejection_reason:
        return ""
    label = RejectionReason(record.rejection_reason).label
    return f"{label} - {record.decision_note}" if record.decision_note else label


def requests_of(pensioner: Pensioner) -> list[RequestCard]:
    """Every request of the pensioner, newest first, each with one step per status it went through."""
    requests = list(
        EnrollmentRequest.objects.filter(pensioner=pensioner).select_related("period").order_by("-created_at", "-id")
    )
    records = EnrollmentRequest.history.filter(id__in=[r.pk for r in requests]).order_by("history_date", "history_id")
    timelines: dict[int, list[TimelineStep]] = defaultdict(list)
    last_status: dict[int, str] = {}
    for record in records.only("id", "status", "history_date", "rejection_reason", "decision_note"):
        if last_status.get(record.id) == record.status:
            continue  # a save that kept the status (terms, choices, a claim) is not a step for the pensioner
        last_status[record.id] = record.status
        timelines[record.id].append(
            TimelineStep(
                status_label=RequestStatus(record.status).label,
                at=record.history_date,
                reason=_reason(record),
            )
        )
    return [RequestCard(request=r, timeline=timelines[r.pk]) for r in requests]


_REQUEST_OF = KeyedRead(
    lambda pensioner, tracking_code: (
        EnrollmentRequest.objects.filter(pensioner_id=pensioner, tracking_code=tracking_code)
        .select_related("period", "kanoon", "branch")
        .order_by()[:1]
    )
)


def request_of(pensioner: Pensioner, tracking_code: str) -> EnrollmentRequest | None:
    """The pensioner's request with this tracking code (the confirmation page's read)."""
    return _REQUEST_OF.row(pensioner=pensioner.pk, tracking_code=tracking_code)
