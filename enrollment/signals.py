"""Dropping a staff user's cached scope (selectors.scope_of) the moment their offices, provinces or groups change."""

from django.contrib.auth.models import User
from django.db.models.signals import m2m_changed, post_delete, post_save

from enrollment import selectors
from enrollment.models import (
    BranchGroupObjectPermission,
    BranchUserObjectPermission,
    KanoonGroupObjectPermission,
    KanoonUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)


def _forget_user(sender, instance, **kwargs) -> None:
    selectors.scope_forget(instance.user_id)


def _forget_group(sender, instance, **kwargs) -> None:
    for user_id in instance.group.user_set.values_list("pk", flat=True):
        selectors.scope_forget(user_id)


def _forget_members(sender, instance, action, pk_set, reverse, **kwargs) -> None:
    """user.groups changed (instance is a user) or group.user_set changed (instance is a group)."""
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if not reverse:
        user_ids = [instance.pk]
    elif action == "pre_clear":
        user_ids = list(instance.user_set.values_list("pk", flat=True))
    else:
        user_ids = pk_set
    for user_id in user_ids:
        selectors.scope_forget(user_id)


def connect() -> None:
    for model in (KanoonUserObjectPermission, BranchUserObjectPermission, ProvinceUserObjectPermission):
        post_save.connect(_forget_user, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_forget_user, sender=model, dispatch_uid=f"scope-{model.__name__}-delete")
    for model in (KanoonGroupObjectPermission, BranchGroupObjectPermission, ProvinceGroupObjectPermission):
        post_save.connect(_forget_group, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_forget_group, sender=model, dispatch_uid=f"scope-{model.__name__}-delete")
    m2m_changed.connect(_forget_members, sender=User.groups.through, dispatch_uid="scope-user-groups")
