"""Reading staff accounts: a user's role and offices, what an administrator may give, whom they may see.

Who manages whom: a superuser everyone; a national manager («مدیران») every account but superusers; a
province manager the Kanoon staff, branch staff and province managers whose offices all lie inside their
provinces. Nobody else opens the staff page.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.text import to_persian_digits
from enrollment import roles
from enrollment.models import (
    Branch,
    BranchUserObjectPermission,
    Kanoon,
    KanoonUserObjectPermission,
    Province,
    ProvinceUserObjectPermission,
)

# The roles a province manager may give, inside their own provinces.
PROVINCE_ROLES = (roles.KANOON_STAFF, roles.BRANCH_STAFF, roles.PROVINCE_MANAGER)
NO_ROLE = "بدون نقش"

Office = Kanoon | Branch | Province


def _codename(dotted: str) -> str:
    return dotted.split(".", 1)[1]


def kanoon_grants() -> QuerySet[KanoonUserObjectPermission]:
    return KanoonUserObjectPermission.objects.filter(permission__codename=_codename(roles.REVIEW_KANOON))


def branch_grants() -> QuerySet[BranchUserObjectPermission]:
    return BranchUserObjectPermission.objects.filter(permission__codename=_codename(roles.PROCESS_BRANCH))


def province_grants() -> QuerySet[ProvinceUserObjectPermission]:
    return ProvinceUserObjectPermission.objects.filter(permission__codename=_codename(roles.MANAGE_PROVINCE))


@dataclass(frozen=True)
class StaffOffices:
    kanoons: tuple[Kanoon, ...] = ()
    branches: tuple[Branch, ...] = ()
    provinces: tuple[Province, ...] = ()

    @property
    def all(self) -> tuple[Office, ...]:
        return (*self.kanoons, *self.branches, *self.provinces)

    def identities(self) -> set[tuple[str, int]]:
        return {office_identity(office) for office in self.all}


def offices_of(user: User) -> StaffOffices:
    """The Kanoons, branches and provinces given to the user (three small indexed reads)."""
    return StaffOffices(
        kanoons=tuple(
            Kanoon.objects.filter(pk__in=kanoon_grants().filter(user=user).values("content_object"))
            .select_related("county")
            .order_by("name")
        ),
        branches=tuple(Branch.objects.filter(pk__in=branch_grants().filter(user=user).values("content_object"))),
        provinces=tuple(Province.objects.filter(pk__in=province_grants().filter(user=user).values("content_object"))),
    )


def office_identity(office: Office) -> tuple[str, int]:
    return type(office).__name__, office.pk


def office_province_id(office: Office) -> int:
    if isinstance(office, Province):
        return office.pk
    if isinstance(office, Kanoon):
        return office.county.province_id
    return office.province_id


def office_label(office: Office) -> str:
    """The office in words, with Persian digits (names are stored with Latin ones)."""
    if isinstance(office, Province):
        return f"استان {office.name}"
    return to_persian_digits(str(office))


def role_of(user: User) -> str | None:
    """The user's role: the first of their groups that is a role (the staff page gives exactly one)."""
    names = {group.name for group in user.groups.all()}  # prefetch_related("groups") serves a list with it
    return next((role for role in roles.ROLES if role in names), None)


def role_label(role: str | None) -> str:
    return role or NO_ROLE


@dataclass(frozen=True)
class Powers:
    """What an administrator may do on the staff page. `province_ids` None: every office."""

    roles: tuple[str, ...]
    province_ids: frozenset[int] | None
    sees_superusers: bool = False
    national: bool = False


SYSTEM_POWERS = Powers(roles=tuple(roles.ROLES), province_ids=None, sees_superusers=True, national=True)


def powers_of(actor: AbstractBaseUser | None) -> Powers | None:
    """None for whoever may not manage staff. A None actor is the server itself (the demo, manage.py).

    Read from the model permissions Django already caches on the user (the staff page's and VIEW_ALL_SCOPES:
    the national managers' pair; auditors hold only the second), and for a province manager their provinces.
    """
    if actor is None:
        return SYSTEM_POWERS
    if not (actor.is_authenticated and actor.is_active and actor.is_staff):
        return None
    if actor.is_superuser:
        return SYSTEM_POWERS
    if not actor.has_perm(roles.MANAGE_STAFF):
        return None
    if actor.has_perm(roles.VIEW_ALL_SCOPES):
        return Powers(roles=tuple(roles.ROLES), province_ids=None, national=True)
    provinces = frozenset(province_grants().filter(user=actor).values_list("content_object", flat=True))
    if not provinces:
        return None
    return Powers(roles=PROVINCE_ROLES, province_ids=provinces)


def staff_visible_to(actor: AbstractBaseUser, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """The accounts the actor may see and manage; any other looks like it does not exist."""
    queryset = User.objects.all() if queryset is None else queryset
    powers = powers_of(actor)
    if powers is None:
        return queryset.none()
    if powers.sees_superusers:
        return queryset
    queryset = queryset.filter(is_superuser=False)
    if powers.province_ids is None:
        return queryset
    inside = powers.province_ids
    user = OuterRef("pk")
    groups = Group.objects.filter(user=user)
    return queryset.filter(
        Exists(groups.filter(name__in=PROVINCE_ROLES)),
        Q(Exists(kanoon_grants().filter(user=user)))
        | Q(Exists(branch_grants().filter(user=user)))
        | Q(Exists(province_grants().filter(user=user))),
    ).exclude(
        Q(Exists(groups.exclude(name__in=PROVINCE_ROLES)))  # a national role, or a group of other powers
        | Q(Exists(User.user_permissions.through.objects.filter(user=user)))
        | Q(Exists(kanoon_grants().filter(user=user).exclude(content_object__county__province__in=inside)))
        | Q(Exists(branch_grants().filter(user=user).exclude(content_object__province__in=inside)))
        | Q(Exists(province_grants().filter(user=user).exclude(content_object__in=inside)))
    )


def _within_powers(actor: AbstractBaseUser | None, queryset: QuerySet, province: str) -> QuerySet:
    """The offices of `queryset` the actor may give: all, or those whose `province` lookup is one of theirs."""
    powers = powers_of(actor)
    if powers is None:
        return queryset.none()
    return queryset if powers.province_ids is None else queryset.filter(**{f"{province}__in": powers.province_ids})


def kanoons_grantable(actor: AbstractBaseUser | None) -> QuerySet[Kanoon]:
    return _within_powers(actor, Kanoon.objects.select_related("county").order_by("name"), "county__province")


def branches_grantable(actor: AbstractBaseUser | None) -> QuerySet[Branch]:
    return _within_powers(actor, Branch.objects.order_by("code"), "province")


def provinces_grantable(actor: AbstractBaseUser | None) -> QuerySet[Province]:
    return _within_powers(actor, Province.objects.order_by("name"), "pk")
