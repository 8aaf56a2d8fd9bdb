"""What a staff user may see. Every admin path builds its queryset here, so scope lives in one place.

A Kanoon user sees their Kanoons' county; a branch user their branches; a province manager every
Kanoon and branch of their provinces; national managers and auditors all.
Permissions sit on Kanoons, branches and provinces (django-guardian); a user's few office ids are read from
them once and cached (`scope_of`), and lists filter requests and pensioners by those ids.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from audit.log import Offices as AuditOffices
from audit.models import AuditEntry
from enrollment.models import Branch, County, Dependent, EnrollmentRequest, Kanoon, Pensioner, Province, RequestStatus
from enrollment.roles import MANAGE_PROVINCE, PROCESS_BRANCH, REVIEW_KANOON, VIEW_ALL_SCOPES


def user_sees_all(user: AbstractBaseUser) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_SCOPES))


def provinces_of(user: AbstractBaseUser) -> QuerySet[Province]:
    """The provinces a province manager manages (every province for those who see all)."""
    if user_sees_all(user):
        return Province.objects.all()
    return get_objects_for_user(user, MANAGE_PROVINCE, klass=Province, accept_global_perms=False)


def kanoons_of(user: AbstractBaseUser) -> QuerySet[Kanoon]:
    if user_sees_all(user):
        return Kanoon.objects.all()
    own = get_objects_for_user(user, REVIEW_KANOON, klass=Kanoon, accept_global_perms=False)
    return Kanoon.objects.filter(Q(pk__in=own.values("pk")) | Q(county__province__in=provinces_of(user).values("pk")))


def branches_of(user: AbstractBaseUser) -> QuerySet[Branch]:
    if user_sees_all(user):
        return Branch.objects.all()
    own = get_objects_for_user(user, PROCESS_BRANCH, klass=Branch, accept_global_perms=False)
    return Branch.objects.filter(Q(pk__in=own.values("pk")) | Q(province__in=provinces_of(user).values("pk")))


@dataclass(frozen=True)
class Scope:
    """The ids of the offices a user works: a handful of rows, read once and cached per user."""

    kanoon_ids: tuple[int, ...]
    county_ids: tuple[int, ...]
    branch_ids: tuple[int, ...]


SCOPE_SECONDS = 600


def _scope_key(user_id: int) -> str:
    return f"staff-scope:{user_id}"


def scope_of(user: AbstractBaseUser) -> Scope:
    """Cached for SCOPE_SECONDS and dropped at once when the user's Kanoons, branches or groups change
    (enrollment.signals). Filtering with these few ids lets PostgreSQL use the request and pensioner
    indexes; an OR of two permission subqueries made it scan millions of rows."""
    scope = cache.get(_scope_key(user.pk))
    if scope is None:
        kanoons = list(kanoons_of(user).values_list("pk", "county_id"))
        scope = Scope(
            kanoon_ids=tuple(pk for pk, _ in kanoons),
            county_ids=tuple(county for _, county in kanoons),
            branch_ids=tuple(branches_of(user).values_list("pk", flat=True)),
        )
        cache.set(_scope_key(user.pk), scope, SCOPE_SECONDS)
    return scope


def scope_forget(user_id: int) -> None:
    cache.delete_many([_scope_key(user_id), _filter_choices_key(user_id)])


def pensioners_visible_to(user: AbstractBaseUser, queryset: QuerySet[Pensioner] | None = None) -> QuerySet[Pensioner]:
    queryset = Pensioner.objects.all() if queryset is None else queryset
    if user_sees_all(user):
        return queryset
    scope = scope_of(user)
    return queryset.filter(Q(county_id__in=scope.county_ids) | Q(paying_branch_id__in=scope.branch_ids))


def dependents_visible_to(user: AbstractBaseUser, queryset: QuerySet[Dependent] | None = None) -> QuerySet[Dependent]:
    queryset = Dependent.objects.all() if queryset is None else queryset
    if user_sees_all(user):
        return queryset
    scope = scope_of(user)
    return queryset.filter(
        Q(pensioner__county_id__in=scope.county_ids) | Q(pensioner__paying_branch_id__in=scope.branch_ids)
    )


# A branch meets a request once its Kanoon has approved it; drafts belong to the pensioner alone.
BRANCH_STAGE = (RequestStatus.BRANCH_REVIEW, RequestStatus.ACCEPTED, RequestStatus.BRANCH_REJECTED)


def requests_visible_to(
    user: AbstractBaseUser, queryset: QuerySet[EnrollmentRequest] | None = None
) -> QuerySet[EnrollmentRequest]:
    queryset = (EnrollmentRequest.objects.all() if queryset is None else queryset).exclude(status=RequestStatus.DRAFT)
    if user_sees_all(user):
        return queryset
    scope = scope_of(user)
    return queryset.filter(
        Q(kanoon_id__in=scope.kanoon_ids) | Q(branch_id__in=scope.branch_ids, status__in=BRANCH_STAGE)
    )


FILTER_CHOICES_SECONDS = 600


def filter_choices_for(user: AbstractBaseUser) -> dict[str, list[tuple[str, str]]]:
    """The branches and counties a user may filter the cartable by, cached a few minutes per user so
    the list page pays no query for them (they change when an administrator reassigns staff)."""
    key = _filter_choices_key(user.pk)
    choices = cache.get(key)
    if choices is None:
        counties = County.objects.all()
        if not user_sees_all(user):
            scope = scope_of(user)
            counties = counties.filter(
                Q(pk__in=scope.county_ids) | Q(province__branches__in=scope.branch_ids)
            ).distinct()
        choices = {
            "branches": [(str(pk), name) for pk, name in branches_of(user).values_list("pk", "name")],
            "counties": [(str(pk), name) for pk, name in counties.order_by("name").values_list("pk", "name")],
        }
        cache.set(key, choices, FILTER_CHOICES_SECONDS)
    return choices


def _filter_choices_key(user_id: int) -> str:
    return f"cartable-filter-choices:{user_id}"


def audit_entries_visible_to(
    user: AbstractBaseUser, queryset: QuerySet[AuditEntry] | None = None
) -> QuerySet[AuditEntry]:
    """The audit log as a user may read it: all of it for those who see everything (auditors, national
    managers), their provinces' entries for a province manager (national objects such as periods and rates
    have no province: theirs is the national managers' log), nothing for anyone else."""
    queryset = AuditEntry.objects.all() if queryset is None else queryset
    if user_sees_all(user):
        return queryset
    provinces = list(provinces_of(user).values_list("pk", flat=True)) if user.is_active else []
    return queryset.filter(province_id__in=provinces) if provinces else queryset.none()


def audit_log_offices(user: AbstractBaseUser) -> AuditOffices:
    """The provinces, Kanoons and branches a user may filter the audit log by: those of their scope."""
    return AuditOffices(
        provinces=list(provinces_of(user).order_by("name").values_list("pk", "name")),
        kanoons=list(kanoons_of(user).order_by("name").values_list("pk", "name")),
        branches=list(branches_of(user).order_by("name").values_list("pk", "name")),
    )
