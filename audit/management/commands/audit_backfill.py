"""`manage.py audit_backfill`: log entries for the history rows written before the audit log existed."""

from django.core.management.base import BaseCommand

from audit.history import audited_models, backfill
from audit.render import object_kind
from core.text import format_number


class Command(BaseCommand):
    help = "Writes audit log entries for history rows that have none (idempotent: a second run writes nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args, chunk_size: int, **options) -> None:
        total = 0
        for model in audited_models():
            written = backfill(model, chunk_size=chunk_size)
            total += written
            self.stdout.write(f"{object_kind(model)}: {format_number(written)}")
        self.stdout.write(f"جمع: {format_number(total)} رویداد نوشته شد.")
