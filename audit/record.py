"""Writing the log. Callers pass the change already in words; see audit/__init__.py."""

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

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


# The role and office of a staff member in words, (role, office): the layer that knows roles and offices
# (enrollment) sets it when it starts; audit knows no model of ours.
ActorDescriber = Callable[[AbstractBaseUser], tuple[str, str]]
_describer: list[ActorDescriber] = []


def actor_describer_set(describer: ActorDescriber) -> None:
    _describer[:] = [describer]


def actor_describe(user: AbstractBaseUser) -> tuple[str, str]:
    return _describer[0](user) if _describer else ("", "")


_system_work: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_system_work", default=False)


@contextlib.contextmanager
def system_work() -> Iterator[None]:
    """Changes made inside are the system's («سامانه»), e.g. a scheduled job's, even when the job keeps
    the user who asked for it (kept as the actor, so that filtering by them finds it too)."""
    token = _system_work.set(True)
    try:
        yield
    finally:
        _system_work.reset(token)


def entry_record(**fields: Any) -> AuditEntry:
    """One row of the log (the fields of `entry_build`), saved in the caller's transaction. A staff actor's
    name, role and office are snapshots of the moment: a later change of role does not rewrite what they
    did before."""
    entry = entry_build(**fields)
    entry.save(force_insert=True)
    return entry


def entry_build(
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
    **extra: object,
) -> AuditEntry:
    """A row of the log, not yet saved: for writers that save a set of them in one statement (entry_record
    saves one)."""
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    if staff and not (actor_role or actor_office):
        actor_role, actor_office = actor_describe(actor)
    kind = actor_kind or (ActorKind.STAFF if staff else ActorKind.SYSTEM)
    if _system_work.get():
        kind = ActorKind.SYSTEM
    return AuditEntry(
        actor=actor if staff else None,
        actor_kind=kind,
        actor_name=(actor_name or (_full_name(actor) if staff else ""))[:200],
        actor_role=actor_role[:100],
        actor_office=actor_office[:300],
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
        **extra,
    )


def _full_name(user: AbstractBaseUser) -> str:
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()
