"""Writing the log. Callers pass the change already in words; see audit/__init__.py."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from audit.models import ActorKind, AuditEntry


@dataclass(frozen=True)
class Change:
    field: str  # the field's label, e.g. «وضعیت»
    old: str  # display values, e.g. status labels, Jalali dates, Persian digits
    new: str


@dataclass(frozen=True)
class Offices:
    province_id: int | None = None
    kanoon_id: int | None = None
    branch_id: int | None = None


def entry_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    actor_kind: str | None = None,
    object_kind: str,
    object_id: object,
    object_label: str,
    action: str,
    changes: Iterable[Change] = (),
    reason: str = "",
    offices: Offices = Offices(),
    national_code: str = "",
    tracking_code: str = "",
    actor_name: str = "",
    actor_role: str = "",
    actor_office: str = "",
) -> AuditEntry:
    """One row of the log, in the caller's transaction. A staff actor's name, role and office are
    snapshots of the moment: a later change of role does not rewrite what they did before."""
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if staff else None,
        actor_kind=actor_kind or (ActorKind.STAFF if staff else ActorKind.SYSTEM),
        actor_name=actor_name or (_full_name(actor) if staff else ""),
        actor_role=actor_role,
        actor_office=actor_office,
        object_kind=object_kind,
        object_id=str(object_id),
        object_label=object_label[:300],
        action=action,
        changes=[{"field": c.field, "old": c.old, "new": c.new} for c in changes],
        reason=reason,
        province_id=offices.province_id,
        kanoon_id=offices.kanoon_id,
        branch_id=offices.branch_id,
        national_code=national_code,
        tracking_code=tracking_code,
    )


def _full_name(user: AbstractBaseUser) -> str:
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()
