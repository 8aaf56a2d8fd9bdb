"""Migration operations that build or drop an index without locking the table's writes.

PostgreSQL's CREATE INDEX takes a lock that blocks every INSERT, UPDATE and DELETE on the table until the
index is built: minutes on the requests or deductions of a whole country, with the site stopped. CREATE
INDEX CONCURRENTLY builds it while writes go on, but cannot run inside a transaction. Django's own
django.contrib.postgres.operations.AddIndexConcurrently refuses any other database, so the suite on SQLite
could not apply the migration; these fall back to the plain operation there. Use them in a migration with
`atomic = False` (the migration linter, core.migration_lint, insists), one index per migration is best:
a failed concurrent build leaves an INVALID index that must be dropped before trying again.

    from core.migration_ops import AddIndexConcurrently

    class Migration(migrations.Migration):
        atomic = False
        operations = [AddIndexConcurrently(model_name="deductiondocument", index=models.Index(...))]
"""

from django.contrib.postgres import operations as postgres
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation


def _on_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrently(postgres.AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain AddIndex elsewhere (SQLite in the tests)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(postgres.RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL; a plain RemoveIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class CreateStatistics(Operation):
    """PostgreSQL's extended statistics on a table (CREATE STATISTICS), so the planner knows how many groups a
    GROUP BY will make; nothing elsewhere (SQLite has none). Without them PostgreSQL multiplies the columns'
    own distinct counts: for the dashboard's grouping of millions of requests it expected ten times the real
    groups, sorted them on disk rather than hashing them, and aggregated a day's expression on one core.
    It takes no lock that stops writes, and fills at the table's next ANALYZE (autovacuum runs it)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, *, name: str, table: str, on: str, kinds: str = ""):
        self.name, self.table, self.on, self.kinds = name, table, on, kinds

    def deconstruct(self):
        kwargs = {"name": self.name, "table": self.table, "on": self.on}
        if self.kinds:
            kwargs["kinds"] = self.kinds
        return self.__class__.__name__, [], kwargs

    def state_forwards(self, app_label, state):
        pass  # the models do not see statistics

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            kinds = f" ({self.kinds})" if self.kinds else ""
            schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {self.name}{kinds} ON {self.on} FROM {self.table}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            schema_editor.execute(f"DROP STATISTICS IF EXISTS {self.name}")

    def describe(self):
        return f"Create statistics {self.name} on {self.table}"
