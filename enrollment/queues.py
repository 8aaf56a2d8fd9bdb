"""The queues a staff user works, for the admin home: how many wait and since when (point 7, aging)."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Min

from enrollment import roles, selectors, workflow
from enrollment.models import Branch, EnrollmentRequest, Kanoon


@dataclass(frozen=True)
class Queue:
    title: str
    status: str
    waiting: int
    oldest: dt.datetime | None


def queues_of(user: AbstractBaseUser) -> list[Queue]:
    """One line per Kanoon or branch the user works. Managers and auditors, who see every office, get the
    national dashboard instead of thousands of queue lines."""
    if selectors.user_sees_all(user):
        return []
    scope = selectors.scope_of(user)
    queues = []
    if user.has_perm(roles.KANOON_ACTIONS):
        queues += _queues(Kanoon, scope.kanoon_ids, "kanoon", workflow.queue_of(workflow.KANOON))
    if user.has_perm(roles.BRANCH_ACTIONS):
        queues += _queues(Branch, scope.branch_ids, "branch", workflow.queue_of(workflow.BRANCH))
    return queues


def _queues(office_model, office_ids: tuple[int, ...], field: str, status: str) -> list[Queue]:
    """One grouped count over the queue index (office, status, waiting_since) for the user's few offices."""
    if not office_ids:
        return []
    rows = (
        EnrollmentRequest.objects.filter(**{f"{field}_id__in": office_ids}, status=status)
        .values(field)
        .annotate(waiting=Count("pk"), oldest=Min("waiting_since"))
    )
    found = {row[field]: row for row in rows}
    names = office_model.objects.filter(pk__in=office_ids).values_list("pk", "name")
    return [
        Queue(
            title=f"کارتابل {name}",
            status=status,
            waiting=found.get(pk, {}).get("waiting", 0),
            oldest=found.get(pk, {}).get("oldest"),
        )
        for pk, name in names
    ]
