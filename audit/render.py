"""A model's field values in words: labels for choices, «بله»/«خیر», Jalali dates in Tehran time, amounts
with separators in Persian digits, related objects by name; and the changes between two versions."""

import datetime as dt
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import models

from audit.facts import memoized
from audit.record import Change
from core import jalali
from core.text import format_number, to_persian_digits

EMPTY = "—"
TEXT_MAX = 300


def object_kind(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def audited_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields a person changes or a service moves; not the id, nor stamps no form edits (created_at)."""
    return [
        field for field in model._meta.concrete_fields if not field.primary_key and field.editable and field.concrete
    ]


def value_display(field: models.Field, value: object) -> str:
    """One stored value (a foreign key's id for a relation) as a person reads it."""
    if value is None or value == "":
        return EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "بله" if value else "خیر"
    if isinstance(field, models.ForeignKey):
        return _related_name(field.related_model, value)
    if isinstance(field, models.DateTimeField) and isinstance(value, dt.datetime):
        return jalali.format_datetime(value)
    if isinstance(field, models.DateField) and isinstance(value, dt.date):
        return jalali.format_date(value)
    if isinstance(value, bool):
        return "بله" if value else "خیر"
    if isinstance(value, int):
        return format_number(value)
    text = to_persian_digits(" ".join(str(value).split()))
    return text if len(text) <= TEXT_MAX else f"{text[:TEXT_MAX]}…"


NAME_SECONDS = 60


def _related_name(model: type[models.Model], pk: object) -> str:
    """A related object's name: a branch, a county, a period, a user are named over and over (an import of
    a thousand pensioners of one county); kept a minute in the cache."""

    def read() -> str:
        key = f"audit-name:{model._meta.label_lower}:{pk}"
        name = cache.get(key)
        if name is None:
            name = _object_name(model._default_manager.filter(pk=pk).first())
            cache.set(key, name, NAME_SECONDS)
        return name

    return memoized(("related", model._meta.label, pk), read)


def _object_name(obj: models.Model | None) -> str:
    if obj is None:
        return "حذف‌شده"
    if isinstance(obj, get_user_model()):
        return (obj.get_full_name() or obj.get_username()).strip()
    return to_persian_digits(str(obj))


def _new_value_display(field: models.Field, value: object, instance: models.Model | None) -> str:
    """The new value; a relation the object holds loaded already is named without reading it again."""
    if (
        instance is not None
        and isinstance(field, models.ForeignKey)
        and value is not None
        and getattr(instance, field.attname) == value
        and field.is_cached(instance)
    ):
        return _object_name(getattr(instance, field.name))
    return value_display(field, value)


def changes_between(
    model: type[models.Model],
    old: Mapping[str, object] | None,
    new: Mapping[str, object],
    instance: models.Model | None = None,
) -> list[Change]:
    """Each field whose value differs (for a new object: each field that has one), old → new, in words.
    `old` and `new` map attnames to stored values; `instance`, the object as it is now, lends its loaded
    relations to the new values."""
    changes = []
    for field in audited_fields(model):
        before = None if old is None else old.get(field.attname)
        after = new.get(field.attname)
        if old is not None and before == after:
            continue
        if old is None and after in (None, ""):
            continue
        shown_before = "" if old is None else value_display(field, before)  # a new object: values, no arrows
        changes.append(Change(str(field.verbose_name), shown_before, _new_value_display(field, after, instance)))
    return changes
