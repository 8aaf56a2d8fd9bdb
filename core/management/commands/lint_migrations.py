"""`manage.py lint_migrations`: run by `make test`; fails when a new migration would lock a large table or
break the running code (core.migration_lint)."""

from django.core.management.base import BaseCommand, CommandError

from core.migration_lint import project_problems


class Command(BaseCommand):
    help = "Refuses new migrations that would lock a large table or break the code still running."

    def handle(self, *args, **options):
        problems, checked = project_problems()
        if problems:
            raise CommandError("\n".join(["Migrations refused:", *(f"  {problem}" for problem in problems)]))
        self.stdout.write(f"{checked} migration(s) newer than the baseline: none locks a large table.")
