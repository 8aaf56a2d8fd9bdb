"""Reading work on the read replica, everything else on the primary.

With DATABASE_REPLICA_URL set, settings add a "replica" alias (a PostgreSQL streaming standby) and install
`ReadingRouter`. Reads go to the replica only inside `reading_replica()`, which the reading work opens around
its own queries: the managers' dashboard, the exports' rows, reconciliation and the monthly deduction list.
Everything else — the cartables, the workflow, sign-in, every write and every read that decides something —
stays on the primary, which the router returns by default.

Why a flag the reading work raises, and not `.using()` on each queryset: those paths run many queries built
elsewhere (the scope selectors, subqueries of subqueries), and Django refuses a subquery whose queryset names
another database than its outer query; a flag sends the whole block to one alias without threading an alias
through every function. The flag is a context variable, so it stays with the request, thread or task that
raised it. A lazy iterator that outlives its view (the streamed CSV of the monthly list) uses
`.using(reading_alias())` instead: a context variable set inside a generator would leak into its consumer
between yields.

Without the "replica" alias every path reads the default database (the demo, and a single-database site).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
PRIMARY = "default"

_reading: ContextVar[bool] = ContextVar("reading_replica", default=False)


def reading_alias() -> str:
    """The alias reading work uses: the replica when one is configured, else the default database."""
    return REPLICA if REPLICA in settings.DATABASES else PRIMARY


@contextmanager
def reading_replica() -> Iterator[str]:
    """Inside the block, reads (querysets without an explicit .using()) go to `reading_alias()`; writes
    still go to the primary. Figures read here may be seconds old: the replica's replication lag."""
    token = _reading.set(True)
    try:
        yield reading_alias()
    finally:
        _reading.reset(token)


def in_reading_block() -> bool:
    return _reading.get()


class ReadingRouter:
    """DATABASE_ROUTERS entry. Reads inside `reading_replica()` → the replica; every write → the primary;
    everything else → None, Django's default (the primary, or the database an instance came from)."""

    def db_for_read(self, model, **hints) -> str | None:
        return reading_alias() if _reading.get() else None

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        """The replica holds the primary's rows: an object read there may be linked to one of the primary."""
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {PRIMARY, REPLICA} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        """A standby is read-only and receives the primary's schema by replication: never migrate it."""
        return False if db == REPLICA else None
