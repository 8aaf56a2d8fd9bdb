"""Small helpers for reading rows with the ORM at the cost the page can afford."""

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_row(queryset: QuerySet[M]) -> M | None:
    """The row a query on a unique key finds, or None.

    first() sorts before it takes a row (by the model's ordering, or by pk), and building that ORDER BY
    costs the ORM about as much as the rest of a small query; a unique key finds at most one row, so
    this asks for none. On the hot paths (every request of a signed-in pensioner reads their row)."""
    return next(iter(queryset.order_by()[:1]), None)
