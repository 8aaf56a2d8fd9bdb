"""Small helpers for reading rows with the ORM at the cost the page can afford."""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)


def unique_row(queryset: QuerySet[M]) -> M | None:
    """The row a query on a unique key finds, or None.

    first() sorts before it takes a row (by the model's ordering, or by pk), and building that ORDER BY
    costs the ORM about as much as the rest of a small query; a unique key finds at most one row, so
    this asks for none. On the hot paths (every request of a signed-in pensioner reads their row)."""
    return next(iter(queryset.order_by()[:1]), None)


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, key name)
    own: slice  # the columns of the model's own fields
    fields: tuple[str, ...]  # their attnames, in order
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]  # (column, converters, expression)
    related: tuple[Any, ...]  # the ORM's populators of select_related objects
    locks: bool  # select_for_update


class KeyedRead(Generic[M]):
    """One query shape whose SQL is compiled once, then run with new key values.

    The ORM builds and compiles a query anew on every call, and for a small read by its keys that costs
    about as much CPU as running it. The reads every step of a pensioner makes (their row, their open
    requests) are declared once as a queryset of their keys:

        OPEN = KeyedRead(lambda pensioner: Request.objects.filter(pensioner_id=pensioner).order_by())
        OPEN.rows(pensioner=5)

    The keys are the function's parameters. Their values go to the database as given, without the
    field's own preparation the ORM would apply: pass them as the column stores them (ids, normalized
    codes).

    The queryset is compiled on first use with a marker for each key; each call puts the values in
    the markers' places, runs the SQL, and builds the instances as the ORM does (from_db, the fields'
    converters, select_related). The shape must yield model instances: no annotations, values() or
    prefetch_related.
    """

    def __init__(self, build: Callable[..., QuerySet[M]]):
        self._build = build
        self._keys = tuple(inspect.signature(build).parameters)
        self._plans: dict[str, _Plan] = {}  # per database alias
        self._model: type[M] | None = None
        self._using: str | None = None
        self._for_write = False

    def rows(self, **values: Any) -> list[M]:
        if any(isinstance(value, int) and not _BIGINT_MIN <= value <= _BIGINT_MAX for value in values.values()):
            return []  # no integer column holds it: the ORM's empty answer too, where SQLite would overflow
        plan, model, alias = self._plan()
        params = list(plan.params)
        for position, key in plan.slots:
            params[position] = values[key]
        connection = connections[alias]
        # The ORM's own guard, which a compiled plan skips (here also on SQLite, which does not lock).
        if plan.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            fetched = cursor.fetchall()
        if plan.converters:
            fetched = [_converted(row, plan.converters, connection) for row in fetched]
        found = []
        for row in fetched:
            instance = model.from_db(alias, plan.fields, row[plan.own])
            for populator in plan.related:
                populator.populate(row, instance)
            found.append(instance)
        return found

    def row(self, **values: Any) -> M | None:
        """The first row, or None: for a shape sliced to one row ([:1]) on a unique key."""
        found = self.rows(**values)
        return found[0] if found else None

    def _plan(self) -> tuple[_Plan, type[M], str]:
        if self._model is None:
            shape = self._build(**self._markers())
            # The database the ORM would choose (QuerySet.db reads the same two attributes): a locking read
            # is a write's (the primary), an explicit using() stays.
            self._using, self._for_write, self._model = shape._db, shape._for_write, shape.model
        route = router.db_for_write if self._for_write else router.db_for_read
        alias = self._using or route(self._model)
        plan = self._plans.get(alias)
        if plan is None:
            plan = self._plans[alias] = self._compile(alias)
        return plan, self._model, alias

    def _markers(self) -> dict[str, int]:
        return {key: _MARKER_BASE - index for index, key in enumerate(self._keys)}

    def _compile(self, alias: str) -> _Plan:
        markers = self._markers()
        queryset = self._build(**markers)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        klass_info = compiler.klass_info
        if (
            klass_info is None
            or compiler.annotation_col_map
            or queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups
        ):
            raise ValueError("KeyedRead yields model instances: no annotations, values() or prefetch_related")
        slots = []
        for key, marker in markers.items():
            found = [i for i, param in enumerate(params) if param in (marker, str(marker))]
            if len(found) != 1:
                raise ValueError(f"KeyedRead: the key {key!r} must be one parameter of the query")
            slots.append((found[0], key))
        own = slice(klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1)
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return _Plan(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            own=own,
            fields=tuple(column.target.attname for column, _, _ in compiler.select[own]),
            converters=tuple((i, tuple(functions), expression) for i, (functions, expression) in converters.items()),
            related=tuple(get_related_populators(klass_info, compiler.select, alias)),
            locks=queryset.query.select_for_update,
        )


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1

# No key is this (as a number or as its digits, which a digits-only field keeps as they are); a parameter
# equal to it is the key's place.
_MARKER_BASE = 7_300_000_000_000_001


def _converted(row: tuple, converters, connection) -> tuple:
    values = list(row)
    for position, functions, expression in converters:
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return tuple(values)
