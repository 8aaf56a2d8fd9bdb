"""Log entries from django-simple-history's rows, for every model that tells its facts (audit_facts).

One saved object: simple-history's `post_create_historical_record` signal, in the transaction of the save.
A set written at once (bulk_create_with_history, bulk_update_with_history, a workflow set's
bulk_history_create) sends no signal: the models' history managers are `AuditedHistoryManager`, whose
bulk_history_create writes the set's entries with one more INSERT, in the same transaction.
Each entry is the difference from the object's previous history row, in words (audit.render).
"""

import functools
import itertools
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Max
from simple_history.manager import HistoryManager

from audit.facts import memo, memoized
from audit.models import Action, AuditEntry
from audit.record import entry_build
from audit.render import audited_fields, changes_between, object_kind

TYPE_ACTIONS = {"+": Action.CREATED, "~": Action.CHANGED, "-": Action.DELETED}


def is_audited(model: type[models.Model]) -> bool:
    return hasattr(model, "audit_facts") and hasattr(model._meta, "simple_history_manager_attribute")


def is_wanted(model: type[models.Model], row: models.Model) -> bool:
    """Whether a history row belongs in the log: a model may leave out versions nobody on the staff can
    open (a request's draft), through `audit_wanted(row)`; the history table keeps them all the same."""
    wanted = getattr(model, "audit_wanted", None)
    return wanted is None or wanted(row)


def history_model_of(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, model._meta.simple_history_manager_attribute).model


def _values(model: type[models.Model], row: models.Model) -> dict[str, object]:
    return {field.attname: getattr(row, field.attname) for field in audited_fields(model)}


def entry_from_history(
    model: type[models.Model], row: models.Model, previous: models.Model | None, instance: models.Model, user
) -> AuditEntry:
    """The entry of one history row: `previous` is the object's history row before it (None for the first),
    `instance` the object (for its facts), `user` the one who made the change (None when nobody signed in)."""
    new = _values(model, row)
    old = None if previous is None else _values(model, previous)
    kind = row.history_type
    action = TYPE_ACTIONS[kind]
    if kind != "-" and hasattr(model, "audit_action"):
        action = model.audit_action(old, new) or action
    changes = [] if kind == "-" else changes_between(model, old, new, instance)
    facts = instance.audit_facts()
    return entry_build(
        actor=user,
        actor_kind=None if user is not None else facts.unattended_actor,
        object_kind=object_kind(model),
        object_id=getattr(row, model._meta.pk.attname),
        object_label=facts.label,
        action=action,
        changes=changes,
        reason=row.history_change_reason or "",
        offices=facts.offices,
        national_code=facts.national_code,
        tracking_code=facts.tracking_code,
        at=row.history_date,
        history_id=row.history_id,
    )


def on_historical_record(sender, instance, history_instance, history_user=None, **kwargs) -> None:
    """simple-history's post_create_historical_record: one object saved (or deleted)."""
    model = type(instance)
    if not is_audited(model) or not is_wanted(model, history_instance):
        return
    pk_name = model._meta.pk.attname
    previous = None
    if history_instance.history_type != "+":  # a new object has no version before
        previous = (
            type(history_instance)
            .objects.filter(**{pk_name: getattr(instance, pk_name)}, history_id__lt=history_instance.history_id)
            .order_by("-history_id")
            .first()
        )
    user = history_user if history_user is not None and history_user.is_authenticated else None
    with memo():
        entry_from_history(model, history_instance, previous, instance, user).save(force_insert=True)


def entries_write_bulk(
    model: type[models.Model], rows: Sequence[models.Model], objs: Sequence[models.Model], default_user=None
) -> list[AuditEntry]:
    """The entries of history rows written together (rows[i] of objs[i]), in one INSERT; the previous
    rows of all their objects read in one query."""
    wanted = [(row, obj) for row, obj in zip(rows, objs, strict=True) if is_wanted(model, row)]
    if not wanted:
        return []
    rows, objs = [row for row, _ in wanted], [obj for _, obj in wanted]
    pk_name = model._meta.pk.attname
    history = type(rows[0])
    object_ids = {getattr(row, pk_name) for row in rows}
    new_ids = [row.history_id for row in rows]
    latest_before = (
        history.objects.filter(**{f"{pk_name}__in": object_ids})
        .exclude(history_id__in=new_ids)
        .values(pk_name)
        .annotate(latest=Max("history_id"))
        .values("latest")
    )
    created = all(row.history_type == "+" for row in rows)  # new objects: no version before
    previous = {} if created else {getattr(r, pk_name): r for r in history.objects.filter(history_id__in=latest_before)}
    if hasattr(model, "audit_prepare"):
        model.audit_prepare(list(objs))  # what the facts of the set read, read once
    entries = []
    with memo():
        for row, obj in zip(rows, objs, strict=True):
            user = getattr(obj, "_history_user", None) or default_user
            user = user if user is not None and user.is_authenticated else None
            entries.append(entry_from_history(model, row, previous.get(getattr(row, pk_name)), obj, user))
            previous[getattr(row, pk_name)] = row
    return AuditEntry.objects.bulk_create(entries)


class AuditedHistoryManager(HistoryManager):
    """A model's `history` manager whose bulk writes reach the log too (they send no signal)."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        """The manager class for a queryset class, built once a process. simple-history's descriptor asks
        for it on every `instance.history`, each save of a tracked row included, and Django would build a
        new class each time, copying every queryset method across through inspect."""
        return super().from_queryset(queryset_class, class_name)

    def bulk_history_create(self, objs, *args, **kwargs):
        rows = super().bulk_history_create(objs, *args, **kwargs)
        model = self.model.instance_type
        if rows and is_audited(model):
            entries_write_bulk(model, rows, list(objs), default_user=kwargs.get("default_user"))
        return rows


def backfill(model: type[models.Model], *, chunk_size: int = 2000) -> int:
    """Entries for the model's history rows that have none (written before the log): oldest first, each
    compared with the row before it. Running it again writes nothing. Returns how many it wrote."""
    history = history_model_of(model)
    kind = object_kind(model)
    pk_name = model._meta.pk.attname
    written = 0
    after = 0
    while True:
        rows = list(history.objects.filter(history_id__gt=after).order_by("history_id")[:chunk_size])
        if not rows:
            return written
        after = rows[-1].history_id
        done = set(
            AuditEntry.objects.filter(object_kind=kind, history_id__in=[r.history_id for r in rows]).values_list(
                "history_id", flat=True
            )
        )
        todo = [row for row in rows if row.history_id not in done and is_wanted(model, row)]
        if not todo:
            continue
        previous = _previous_rows(history, pk_name, todo)
        entries = []
        with memo():
            for row in todo:
                user = _user(row.history_user_id)
                entries.append(entry_from_history(model, row, previous.get(row.history_id), row.instance, user))
        AuditEntry.objects.bulk_create(entries, ignore_conflicts=True)  # one transaction per chunk
        written += len(entries)


def _previous_rows(history: type[models.Model], pk_name: str, rows: Iterable[models.Model]) -> dict[int, models.Model]:
    """For each row, the history row of the same object just before it."""
    rows = list(rows)
    objects = {getattr(row, pk_name) for row in rows}
    by_object: dict[object, list[models.Model]] = {}
    for row in history.objects.filter(**{f"{pk_name}__in": objects}, history_id__lte=rows[-1].history_id).order_by(
        "history_id"
    ):
        by_object.setdefault(getattr(row, pk_name), []).append(row)
    previous = {}
    for versions in by_object.values():
        for before, row in itertools.pairwise(versions):
            previous[row.history_id] = before
    return previous


def _user(user_id: int | None):
    if user_id is None:
        return None
    return memoized(("user", user_id), lambda: get_user_model().objects.filter(pk=user_id).first())


def audited_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [model for model in apps.get_models() if is_audited(model)]
