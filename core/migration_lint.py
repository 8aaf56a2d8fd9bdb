"""The migration linter: refuses a new migration that would lock a large table or break the running code.

A release migrates the database while the previous release still serves (README, «Releasing with a
migration without downtime»), so every new migration must be one the old code survives and one that does
not hold a lock on a table of millions of rows. Each operation of every migration newer than the baseline
(MIGRATION_LINT_BASELINE: the migrations that existed when the linter came; they ran long ago) is checked
against the state of the models before it. On a large table (MIGRATION_LINT_LARGE_TABLES) it refuses:

- AddIndex / RemoveIndex and unique or check constraints: CREATE INDEX blocks writes for the whole build;
  use core.migration_ops.AddIndexConcurrently / RemoveIndexConcurrently in a migration with atomic = False;
- AddField NOT NULL without a database default (the old code's INSERTs omit the column and fail), or with
  an index (db_index, unique, a foreign key's own index): add it nullable, or with db_default, and without
  the index; build the index concurrently in a migration of its own;
- AlterField that changes the column (type, NOT NULL, index, unique...; labels and choices are free, and so
  is dropping NOT NULL): a type change rewrites the table under an exclusive lock;
- RemoveField, RenameField, DeleteModel, RenameModel, AlterModelTable, unique/index together: the code
  still running reads the old name. Contract in a later release, once no code reads it;
- RunSQL that names a large table: it cannot be checked; RunPython is allowed (a backfill: in batches).
Everywhere: a concurrent index operation in an atomic migration (PostgreSQL refuses it), and
django.contrib.postgres' own concurrent operations (they fail on SQLite, where the tests run).

A refusal that is meant — the contract step of an expand/contract release — is allowed by the migration
itself, with the reason: `lint_allow = {"RemoveField": "unused since release 1405.10"}`.

django-migration-linter (6.0, which supports Django 5.2) was considered: it reads the SQL of the database
the check runs on, so on SQLite it sees no index lock at all, and it knows nothing of which tables are large.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.postgres import operations as postgres
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models import NOT_PROVIDED

from core import migration_ops

PROJECT_PACKAGES = ("core", "policies", "enrollment", "portal", "config")


@dataclass(frozen=True)
class Problem:
    migration: str  # app_label.name
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.reason}"


LOCKS = "blocks writes to a large table while it runs"
CONCURRENT = "use core.migration_ops.AddIndexConcurrently / RemoveIndexConcurrently in a migration with atomic = False"
BREAKS = "breaks the code still running during the release; contract in a later release (lint_allow with the reason)"


def operation_problems(
    operation: Operation, *, app_label: str, state: ProjectState, large: set[str], atomic: bool
) -> Iterator[str]:
    """Why `operation` of a migration of `app_label` may not run against `state` (nothing: it may)."""
    if isinstance(operation, postgres.NotInTransactionMixin):
        if not isinstance(operation, migration_ops.AddIndexConcurrently | migration_ops.RemoveIndexConcurrently):
            yield "django.contrib.postgres' concurrent operations fail on SQLite; use core.migration_ops"
        if atomic:
            yield "a concurrent index operation needs a migration with atomic = False"
        return
    if isinstance(operation, migrations.RunSQL):
        tables = _large_tables(state, large)
        named = sorted(table for table in tables if table in str(operation.sql).lower())
        if named:
            yield f"raw SQL on {', '.join(named)} cannot be checked; {BREAKS}"
        return
    model = getattr(operation, "model_name_lower", None) or getattr(operation, "name_lower", None)
    if f"{app_label}.{model}" not in large:
        return
    if isinstance(operation, migrations.AddIndex | migrations.RemoveIndex):
        yield f"a plain index build or drop {LOCKS}; {CONCURRENT}"
    elif isinstance(operation, migrations.AddConstraint | migrations.RemoveConstraint):
        yield f"a constraint is checked or indexed under a lock that {LOCKS}; build a unique index concurrently first"
    elif isinstance(operation, migrations.AddField):
        yield from _add_field_problems(operation.field)
    elif isinstance(operation, migrations.AlterField):
        old = state.models[app_label, model].fields[operation.name_lower]
        if _column_changes(old, operation.field):
            yield f"changing the column {LOCKS} (a type change rewrites the table); add a new column instead"
    elif isinstance(
        operation,
        migrations.RemoveField
        | migrations.RenameField
        | migrations.DeleteModel
        | migrations.RenameModel
        | migrations.AlterModelTable
        | migrations.AlterUniqueTogether
        | migrations.AlterIndexTogether,
    ):
        yield BREAKS


def _add_field_problems(field) -> Iterator[str]:
    if not field.null and field.db_default is NOT_PROVIDED and not field.many_to_many:
        yield (
            "a NOT NULL column without db_default fails the old code's INSERTs (and a default alone is dropped "
            "after the ALTER); add it nullable or with db_default, backfill in batches, tighten later"
        )
    if field.db_index or field.unique:  # a ForeignKey has db_index unless told otherwise
        yield f"the column's index is built in the same lock that {LOCKS}; add it with db_index=False, {CONCURRENT}"


def _column_changes(old, new) -> set[str]:
    """The column attributes that differ between two definitions of a field (labels, choices... aside);
    dropping NOT NULL alone is instant and safe for the old code."""
    _, old_path, old_args, old_kwargs = old.deconstruct()
    _, new_path, new_args, new_kwargs = new.deconstruct()
    if (old_path, old_args) != (new_path, new_args):
        return {"type"}
    keys = (set(old_kwargs) | set(new_kwargs)) - set(new.non_db_attrs)
    changed = {key for key in keys if old_kwargs.get(key) != new_kwargs.get(key)}
    return set() if changed == {"null"} and new.null else changed


def _large_tables(state: ProjectState, large: set[str]) -> set[str]:
    tables = set()
    for (app_label, model), model_state in state.models.items():
        if f"{app_label}.{model}" in large:
            tables.add((model_state.options.get("db_table") or f"{app_label}_{model}").lower())
    return tables


def migration_problems(migration: migrations.Migration, state: ProjectState, large: set[str]) -> list[Problem]:
    """Every refusal of `migration`, applied on top of `state` (which it moves forward, as migrate would)."""
    allowed = getattr(migration, "lint_allow", {})
    problems = []
    created = set()  # a table this migration creates is empty: nothing on it locks anybody
    for operation in migration.operations:
        if isinstance(operation, migrations.CreateModel):
            created.add(f"{migration.app_label}.{operation.name_lower}")
        if type(operation).__name__ not in allowed:
            for reason in operation_problems(
                operation, app_label=migration.app_label, state=state, large=large - created, atomic=migration.atomic
            ):
                problems.append(Problem(f"{migration.app_label}.{migration.name}", operation.describe(), reason))
        operation.state_forwards(migration.app_label, state)
    return problems


def project_problems(
    *, baseline: dict[str, str] | None = None, large: Iterable[str] | None = None
) -> tuple[list[Problem], int]:
    """The refusals of every project migration newer than the baseline, and how many such migrations."""
    baseline = settings.MIGRATION_LINT_BASELINE if baseline is None else baseline
    large = set(settings.MIGRATION_LINT_LARGE_TABLES if large is None else large)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    old = {  # each app's baseline migration and its own ancestors (not other apps' later ones it needs)
        node for app, name in baseline.items() for node in loader.graph.forwards_plan((app, name)) if node[0] == app
    }
    ours = {config.label for config in apps.get_app_configs() if config.name.split(".")[0] in PROJECT_PACKAGES}
    checked = sorted(key for key in loader.graph.nodes if key[0] in ours and key not in old)
    problems = []
    for key in checked:
        state = loader.project_state(key, at_end=False)
        problems += migration_problems(loader.graph.nodes[key], state, large)
    return problems, len(checked)
