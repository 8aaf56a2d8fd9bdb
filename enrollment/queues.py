"""The queues a staff user works, for the admin home: how many wait and since when (point 7, aging)."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Min

from enrollment import roles, selectors
from enrollment.models import EnrollmentRequest, RequestStatus


@dataclass(frozen=True)
class Queue:
    title: str
    status: str
    waiting: int
    oldest: dt.datetime | None


def queues_of(user: AbstractBaseUser) -> list[Queue]:
    """One line per Kanoon or branch the user works, in the order of the sidebar's cartable."""
    queues = []
    if user.has_perm(roles.KANOON_ACTIONS):
        queues += _queues(selectors.kanoons_of(user), "kanoon", RequestStatus.KANOON_REVIEW, "کارتابل")
    if user.has_perm(roles.BRANCH_ACTIONS):
        queues += _queues(selectors.branches_of(user), "branch", RequestStatus.BRANCH_REVIEW, "کارتابل")
    return queues


def _queues(offices, field: str, status: str, prefix: str) -> list[Queue]:
    rows = (
        EnrollmentRequest.objects.filter(**{f"{field}__in": offices.values("pk")}, status=status)
        .values(field)
        .annotate(waiting=Count("pk"), oldest=Min("waiting_since"))
    )
    found = {row[field]: row for row in rows}
    return [
        Queue(
            title=f"{prefix} {office.name}",
            status=status,
            waiting=found.get(office.pk, {}).get("waiting", 0),
            oldest=found.get(office.pk, {}).get("oldest"),
        )
        for office in offices
    ]
