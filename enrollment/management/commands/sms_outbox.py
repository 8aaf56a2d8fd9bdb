from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import jalali
from core.identity import normalize_mobile, validate_mobile
from enrollment.sms.selectors import outbox_latest, outbox_text_revealed


class Command(BaseCommand):
    help = (
        "Prints the latest SMS messages, newest first, one per line, tab-separated: "
        "time (Jalali, Tehran), mobile, status, text. A login code shows only while DEBUG is on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mobile", default="", help="only messages to this mobile (09..., any digits)")
        parser.add_argument("--limit", type=int, default=20, help="how many messages (default 20)")

    def handle(self, *args, mobile: str, limit: int, **options):
        if limit < 1:
            raise CommandError("--limit must be 1 or more")
        if mobile:
            try:
                validate_mobile(mobile)
            except ValidationError as error:
                raise CommandError(error.messages[0]) from None
        for message in outbox_latest(mobile=normalize_mobile(mobile), limit=limit):
            created = timezone.localtime(message.created_at)
            when = f"{jalali.format_date(created, persian=False)} {created:%H:%M:%S}"
            # The demo reads its login code here; in production the code never leaves the seal.
            shown = outbox_text_revealed(message) if settings.DEBUG else message.text
            text = " ".join(shown.split())  # one line, no tab inside a column
            self.stdout.write("\t".join([when, message.mobile, message.status, text]))
