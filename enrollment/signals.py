"""Dropping a staff user's cached scope (selectors.scope_of) the moment what it is read from changes: their
offices and provinces (object permissions, their own or their groups'), their groups, the permissions of
those groups or their own (VIEW_ALL_SCOPES makes the scope everything), and the account itself (active,
superuser). enrollment/staff/accounts.py drops it once more after its transaction commits."""

from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from enrollment import selectors
from enrollment.models import (
    BranchGroupObjectPermission,
    BranchUserObjectPermission,
    KanoonGroupObjectPermission,
    KanoonUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from enrollment.models.registry import Branch, Kanoon, branch_forget, kanoon_forget


def _forget_user(sender, instance, **kwargs) -> None:
    selectors.scope_forget(instance.user_id)


def _forget_group(sender, instance, **kwargs) -> None:
    for user_id in instance.group.user_set.values_list("pk", flat=True):
        selectors.scope_forget(user_id)


def _forget_account(sender, instance, update_fields=None, **kwargs) -> None:
    """A user saved: unless only their sign-in time was written (every login), their scope may differ."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    selectors.scope_forget(instance.pk)


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


def _forget_holders(sender, instance, action, pk_set, reverse, **kwargs) -> None:
    """A group's or a user's model permissions changed (group.permissions, user.user_permissions), or a
    permission's holders changed from its side (reverse): every user who holds it through them."""
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if reverse:  # instance is a Permission; pk_set the groups or users (None on clear: all of them)
        holders = instance.group_set.all() if sender is Group.permissions.through else instance.user_set.all()
        ids = pk_set if pk_set is not None else set(holders.values_list("pk", flat=True))
        if sender is Group.permissions.through:
            ids = set(User.objects.filter(groups__in=ids).values_list("pk", flat=True))
    elif isinstance(instance, Group):
        ids = set(instance.user_set.values_list("pk", flat=True))
    else:
        ids = {instance.pk}
    for user_id in ids:
        selectors.scope_forget(user_id)


def _forget_branch(sender, instance, **kwargs) -> None:
    branch_forget(instance.pk)


def _kanoon_county_before(sender, instance, raw=False, **kwargs) -> None:
    """The county a Kanoon is in before a save, so that a move forgets what is cached under both counties."""
    if instance.pk is not None and not raw:
        instance._county_before = Kanoon.objects.filter(pk=instance.pk).values_list("county_id", flat=True).first()


def _forget_kanoon(sender, instance, **kwargs) -> None:
    kanoon_forget(instance.pk, [instance.county_id, getattr(instance, "_county_before", None)])


def connect() -> None:
    post_save.connect(_forget_branch, sender=Branch, dispatch_uid="branch-cached-save")
    post_delete.connect(_forget_branch, sender=Branch, dispatch_uid="branch-cached-delete")
    pre_save.connect(_kanoon_county_before, sender=Kanoon, dispatch_uid="kanoon-cached-county-before")
    post_save.connect(_forget_kanoon, sender=Kanoon, dispatch_uid="kanoon-cached-save")
    post_delete.connect(_forget_kanoon, sender=Kanoon, dispatch_uid="kanoon-cached-delete")
    for model in (KanoonUserObjectPermission, BranchUserObjectPermission, ProvinceUserObjectPermission):
        post_save.connect(_forget_user, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_forget_user, sender=model, dispatch_uid=f"scope-{model.__name__}-delete")
    for model in (KanoonGroupObjectPermission, BranchGroupObjectPermission, ProvinceGroupObjectPermission):
        post_save.connect(_forget_group, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_forget_group, sender=model, dispatch_uid=f"scope-{model.__name__}-delete")
    m2m_changed.connect(_forget_members, sender=User.groups.through, dispatch_uid="scope-user-groups")
    m2m_changed.connect(_forget_holders, sender=Group.permissions.through, dispatch_uid="scope-group-permissions")
    m2m_changed.connect(_forget_holders, sender=User.user_permissions.through, dispatch_uid="scope-user-permissions")
    post_save.connect(_forget_account, sender=User, dispatch_uid="scope-user-save")
