"""Who a staff member is, in the audit log's words: their role (groups) and offices, as of the change.

Read once and cached under the user's scope (enrollment.selectors.scope_of), which is dropped the moment
their offices or groups change: the next entry they write names the new ones.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from guardian.shortcuts import get_objects_for_user

from core.text import to_persian_digits
from enrollment import selectors
from enrollment.models import Branch, Kanoon, Province
from enrollment.roles import MANAGE_PROVINCE, PROCESS_BRANCH, REVIEW_KANOON

ACTOR_SECONDS = 600
NAMES_SHOWN = 3


def actor_describe(user: AbstractBaseUser) -> tuple[str, str]:
    key = f"audit-actor:{user.pk}:{hash(selectors.scope_of(user))}"
    described = cache.get(key)
    if described is None:
        described = (_role(user), _office(user))
        cache.set(key, described, ACTOR_SECONDS)
    return described


def _role(user: AbstractBaseUser) -> str:
    names = sorted(user.groups.values_list("name", flat=True))
    if not names and user.is_superuser:
        return "مدیر سامانه"
    return "، ".join(names)


def _office(user: AbstractBaseUser) -> str:
    if selectors.user_sees_all(user):
        return "ستاد (همه استان‌ها)"
    names = []
    for perm, model, prefix in (
        (MANAGE_PROVINCE, Province, "استان "),
        (REVIEW_KANOON, Kanoon, ""),
        (PROCESS_BRANCH, Branch, ""),  # a branch's name says «شعبه» itself
    ):
        offices = get_objects_for_user(user, perm, klass=model, accept_global_perms=False)
        names += [f"{prefix}{name}" for name in offices.order_by("name").values_list("name", flat=True)[:NAMES_SHOWN]]
    if len(names) > NAMES_SHOWN:
        more = len(names) - NAMES_SHOWN
        names = [*names[:NAMES_SHOWN], f"و {to_persian_digits(more)} واحد دیگر"]
    return "، ".join(names)
