"""What a staff user may see. Every admin path builds its queryset here, so scope lives in one place.

A Kanoon user sees their Kanoons' county; a branch user their branches; a province manager every
Kanoon and branch of their provinces; national managers and auditors all.
Permissions sit on Kanoons, branches and provinces (django-guardian); a user's few office ids are read from
them once and cached (`scope_of`), and lists filter requests and pensioners by those ids.

A province manager has, inside their provinces, every path a national manager has (the dashboard, the
reconciliation, exports, monthly lists, the registry, the SMS outbox), each built here from the same ids;
nothing national reaches them: what lies outside their provinces looks like it does not exist.
"""

import hashlib
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
    province_ids: tuple[int, ...] = ()  # the provinces a province manager manages

    @property
    def key(self) -> str:
        """A short name of these offices, for caches shared by every user with the same scope."""
        text = f"{self.kanoon_ids}|{self.branch_ids}|{self.province_ids}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


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
            province_ids=tuple(provinces_of(user).values_list("pk", flat=True)),
        )
        cache.set(_scope_key(user.pk), scope, SCOPE_SECONDS)
    return scope


def scope_forget(user_id: int) -> None:
    cache.delete_many([_scope_key(user_id), _filter_choices_key(user_id)])


def is_province_manager(user: AbstractBaseUser) -> bool:
    """Manages one or more provinces and does not see every scope: the national pages, reduced to them."""
    return user.is_active and not user_sees_all(user) and bool(scope_of(user).province_ids)


def sees_reports(user: AbstractBaseUser) -> bool:
    """Whom the managers' reports (dashboard, reconciliation) are for: everyone who sees all, and province
    managers, who see them for their provinces."""
    return user_sees_all(user) or is_province_manager(user)


def pensioners_in_scope(user: AbstractBaseUser, path: str = "") -> Q:
    """A filter on the pensioners `user` may see, for a queryset that reaches the pensioner through `path`
    ("" for Pensioner itself, "request__pensioner" for request items, "pensioner" for documents).
    Empty for those who see all."""
    if user_sees_all(user):
        return Q()
    scope = scope_of(user)
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}county_id__in": scope.county_ids}) | Q(**{f"{prefix}paying_branch_id__in": scope.branch_ids})


def pensioners_visible_to(user: AbstractBaseUser, queryset: QuerySet[Pensioner] | None = None) -> QuerySet[Pensioner]:
    queryset = Pensioner.objects.all() if queryset is None else queryset
    return queryset.filter(pensioners_in_scope(user))


def dependents_visible_to(user: AbstractBaseUser, queryset: QuerySet[Dependent] | None = None) -> QuerySet[Dependent]:
    queryset = Dependent.objects.all() if queryset is None else queryset
    return queryset.filter(pensioners_in_scope(user, "pensioner"))


def counties_of(user: AbstractBaseUser) -> QuerySet[County]:
    """The counties of the registry a user sees: their Kanoons' counties and every county of their provinces."""
    if user_sees_all(user):
        return County.objects.all()
    scope = scope_of(user)
    return County.objects.filter(Q(pk__in=scope.county_ids) | Q(province_id__in=scope.province_ids))


def provinces_visible_to(user: AbstractBaseUser) -> QuerySet[Province]:
    """The provinces a user's offices lie in (a province manager: theirs; everyone who sees all: every one)."""
    if user_sees_all(user):
        return Province.objects.all()
    scope = scope_of(user)
    return Province.objects.filter(
        Q(pk__in=scope.province_ids)
        | Q(pk__in=County.objects.filter(pk__in=scope.county_ids).values("province_id"))
        | Q(pk__in=Branch.objects.filter(pk__in=scope.branch_ids).values("province_id"))
    )


# A branch meets a request once its Kanoon has approved it; drafts belong to the pensioner alone.
BRANCH_STAGE = (RequestStatus.BRANCH_REVIEW, RequestStatus.ACCEPTED, RequestStatus.BRANCH_REJECTED)


def requests_visible_to(
    user: AbstractBaseUser, queryset: QuerySet[EnrollmentRequest] | None = None
) -> QuerySet[EnrollmentRequest]:
    queryset = (EnrollmentRequest.objects.all() if queryset is None else queryset).exclude(status=RequestStatus.DRAFT)
    if user_sees_all(user):
        return queryset
    return queryset.filter(_requests_in_scope(scope_of(user)))


def _requests_in_scope(scope: Scope, path: str = "") -> Q:
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}kanoon_id__in": scope.kanoon_ids}) | Q(
        **{f"{prefix}branch_id__in": scope.branch_ids, f"{prefix}status__in": BRANCH_STAGE}
    )


def outbox_visible_to(user: AbstractBaseUser, queryset: QuerySet) -> QuerySet:
    """The SMS outbox (a queryset of enrollment.sms OutboxMessage): all of it for those who see all; for a
    province manager the messages of the requests they see (their province's pensioners' steps), never a
    sign-in code, which belongs to no request; nothing for anybody else."""
    if user_sees_all(user):
        return queryset
    if not is_province_manager(user):
        return queryset.none()
    return queryset.filter(_requests_in_scope(scope_of(user), "request"))


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
