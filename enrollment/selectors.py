"""What a staff user may see. Every admin path builds its queryset here, so scope lives in one place.

A Kanoon user sees their Kanoons' county; a branch user their branches; managers and auditors all.
The permitted Kanoons and branches stay subqueries: the database joins them, Python never holds a
list of ids.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from enrollment.models import Branch, Dependent, EnrollmentRequest, Kanoon, Pensioner
from enrollment.roles import PROCESS_BRANCH, REVIEW_KANOON, VIEW_ALL_SCOPES


def user_sees_all(user: AbstractBaseUser) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_SCOPES))


def kanoons_of(user: AbstractBaseUser) -> QuerySet[Kanoon]:
    if user_sees_all(user):
        return Kanoon.objects.all()
    return get_objects_for_user(user, REVIEW_KANOON, klass=Kanoon, accept_global_perms=False)


def branches_of(user: AbstractBaseUser) -> QuerySet[Branch]:
    if user_sees_all(user):
        return Branch.objects.all()
    return get_objects_for_user(user, PROCESS_BRANCH, klass=Branch, accept_global_perms=False)


def pensioners_visible_to(user: AbstractBaseUser, queryset: QuerySet[Pensioner] | None = None) -> QuerySet[Pensioner]:
    queryset = Pensioner.objects.all() if queryset is None else queryset
    if user_sees_all(user):
        return queryset
    return queryset.filter(
        Q(county__kanoon__in=kanoons_of(user).values("pk")) | Q(paying_branch__in=branches_of(user).values("pk"))
    )


def dependents_visible_to(user: AbstractBaseUser, queryset: QuerySet[Dependent] | None = None) -> QuerySet[Dependent]:
    queryset = Dependent.objects.all() if queryset is None else queryset
    if user_sees_all(user):
        return queryset
    return queryset.filter(pensioner__in=pensioners_visible_to(user).values("pk"))


def requests_visible_to(
    user: AbstractBaseUser, queryset: QuerySet[EnrollmentRequest] | None = None
) -> QuerySet[EnrollmentRequest]:
    queryset = EnrollmentRequest.objects.all() if queryset is None else queryset
    if user_sees_all(user):
        return queryset
    return queryset.filter(Q(kanoon__in=kanoons_of(user).values("pk")) | Q(branch__in=branches_of(user).values("pk")))
