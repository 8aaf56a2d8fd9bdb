"""What an audited object tells the log about itself, and a memo for the lookups that telling costs.

A model whose changes the log records defines `audit_facts(self) -> Facts`: its label in words and the
offices, national code and tracking code it belongs to. It may also define `audit_action(old, new)`
(over two dicts of field values, `old` None for a new object) naming a change more precisely than
«تغییر», e.g. «تایید کانون» for a request's status moving from the Kanoon to the branch; and
`audit_prepare(cls, objs)`, reading at once what the facts of a set written together would read one by one.
"""

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from audit.record import Offices

T = TypeVar("T")


@dataclass(frozen=True)
class Facts:
    label: str  # the object in words: «درخواست ۱۲۳۴… — علی رضایی»
    offices: Offices = field(default_factory=Offices)
    national_code: str = ""
    tracking_code: str = ""
    # Who made a change that no signed-in staff member made: the pensioner (their own request) or the
    # system (imports, scheduled jobs). An ActorKind value.
    unattended_actor: str = "system"


_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("audit_memo", default=None)


@contextlib.contextmanager
def memo() -> Iterator[None]:
    """While writing a set of entries, a lookup asked twice (a county's province, a branch's name) is read once."""
    token = _memo.set({}) if _memo.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _memo.reset(token)


def memoized(key: tuple, compute: Callable[[], T]) -> T:
    cache = _memo.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def related(instance, name: str):
    """The object a foreign key points at: the one already loaded on `instance`, or read once per memo."""
    field = instance._meta.get_field(name)
    if field.is_cached(instance):
        return getattr(instance, name)
    pk = getattr(instance, field.attname)
    if pk is None:
        return None
    model = field.related_model
    return memoized(("object", model._meta.label, pk), lambda: model._default_manager.filter(pk=pk).first())
