"""The migration linter refuses what would lock a large table or break the running code, lets through what
would not, and the project's own migrations pass it; the concurrent index operations apply on SQLite and on
PostgreSQL (there concurrently, outside a transaction)."""

import pytest
from django.conf import settings
from django.contrib.postgres import operations as postgres
from django.core.management import CommandError, call_command
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader

from core.migration_lint import migration_problems, project_problems
from core.migration_ops import AddIndexConcurrently, RemoveIndexConcurrently

LARGE = set(settings.MIGRATION_LINT_LARGE_TABLES)


def _state():
    """The models as they are after every migration of the project."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return loader.project_state()


def _problems(*operations, app_label="loans", atomic=True, lint_allow=None) -> list[str]:
    migration = migrations.Migration("9999_new", app_label)
    migration.operations = list(operations)
    migration.atomic = atomic
    if lint_allow is not None:
        migration.lint_allow = lint_allow
    return [problem.reason for problem in migration_problems(migration, _state(), LARGE)]


INDEX = models.Index(fields=["created_at"], name="deduction_created")
USER = models.ForeignKey("auth.User", models.CASCADE, null=True)


@pytest.mark.parametrize(
    ("operation", "says"),
    [
        (migrations.AddIndex("deductiondocument", INDEX), "AddIndexConcurrently"),
        (migrations.RemoveIndex("deductiondocument", "deduction_month_list"), "RemoveIndexConcurrently"),
        (migrations.AddField("deductiondocument", "note", models.TextField(default="")), "NOT NULL"),
        (migrations.AddField("deductiondocument", "note", models.TextField(null=True, db_index=True)), "index"),
        (migrations.AddField("deductiondocument", "by", USER), "index"),  # a foreign key has an index
        (migrations.AlterField("deductiondocument", "kind", models.CharField("نوع بیمه", max_length=20)), "rewrites"),
        (migrations.AlterField("deductiondocument", "last_month", models.DateField("ماه پایان کسر")), "column"),
        (migrations.RemoveField("deductiondocument", "source_request"), "later release"),
        (migrations.RenameField("deductiondocument", "kind", "insurance_kind"), "later release"),
        (migrations.AddConstraint("deductiondocument", models.UniqueConstraint(fields=["kind"], name="u")), "lock"),
        (migrations.RunSQL("UPDATE loans_deductiondocument SET kind = 'health'"), "raw SQL"),
    ],
)  # fmt: skip
def test_a_locking_or_breaking_operation_on_a_large_table_is_refused(db, operation, says):
    problems = _problems(operation)
    assert problems and says in " ".join(problems)


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("deductiondocument", "note", models.TextField(null=True)),
        migrations.AddField("deductiondocument", "note", models.TextField(db_default="")),
        migrations.AlterField(
            "deductiondocument", "kind",
            models.CharField("نوع", max_length=10, choices=[("health", "درمان")], help_text="فقط برچسب"),
        ),
        migrations.AlterField("deductiondocument", "monthly_amount", models.PositiveBigIntegerField("مبلغ", null=True)),
        migrations.AddIndex("rolloverjob", models.Index(fields=["created_at"], name="rollover_created")),
        migrations.RemoveField("rolloverjob", "summary"),
        migrations.RunPython(migrations.RunPython.noop),
    ],
)  # fmt: skip
def test_what_neither_locks_nor_breaks_passes(db, operation):
    assert _problems(operation) == []


def test_a_concurrent_index_needs_a_non_atomic_migration(db):
    add = AddIndexConcurrently("deductiondocument", INDEX)
    assert "atomic = False" in " ".join(_problems(add))
    assert _problems(add, atomic=False) == []
    assert _problems(RemoveIndexConcurrently("deductiondocument", "deduction_month_list"), atomic=False) == []


def test_djangos_own_concurrent_index_is_refused_for_it_fails_on_sqlite(db):
    problems = _problems(postgres.AddIndexConcurrently("deductiondocument", INDEX), atomic=False)
    assert "core.migration_ops" in " ".join(problems)


def test_a_table_created_in_the_same_migration_is_empty_and_free(db):
    create = migrations.CreateModel("Big", [("id", models.BigAutoField(primary_key=True))])
    index = migrations.AddIndex("big", models.Index(fields=["id"], name="big_id"))
    assert _problems(create, index, app_label="loans") == []


def test_a_meant_contract_step_is_allowed_by_the_migration_with_its_reason(db):
    remove = migrations.RemoveField("deductiondocument", "source_request")
    assert _problems(remove, lint_allow={"RemoveField": "unused since the release before"}) == []


def test_the_projects_migrations_pass_and_the_command_says_so(db, capsys):
    assert project_problems() == ([], project_problems()[1])
    call_command("lint_migrations")
    assert "none locks a large table" in capsys.readouterr().out


def test_the_command_refuses_a_migration_that_locks_a_large_table(db, settings):
    """Moved back before 0006 (a plain AddIndex on the requests), the baseline leaves it to the linter."""
    settings.MIGRATION_LINT_BASELINE = {
        **settings.MIGRATION_LINT_BASELINE,
        "enrollment": "0005_dependent_index_and_order",
    }
    with pytest.raises(CommandError, match=r"enrollment\.0006_request_waiting_index: Create index request_waiting"):
        call_command("lint_migrations")


@pytest.mark.django_db(transaction=True)
def test_the_concurrent_operations_build_and_drop_an_index_on_this_database():
    """On PostgreSQL concurrently, outside any transaction (the migration is atomic = False); elsewhere plainly."""
    state = _state()
    add = AddIndexConcurrently("deductiondocument", models.Index(fields=["created_at"], name="lint_test_created"))
    after = state.clone()
    add.state_forwards("loans", after)
    with connection.schema_editor(atomic=False) as editor:
        add.database_forwards("loans", editor, state, after)
    assert "lint_test_created" in _indexes()
    remove = RemoveIndexConcurrently("deductiondocument", "lint_test_created")
    final = after.clone()
    remove.state_forwards("loans", final)
    with connection.schema_editor(atomic=False) as editor:
        remove.database_forwards("loans", editor, after, final)
    assert "lint_test_created" not in _indexes()


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, "loans_deductiondocument"))
