import os

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from core.text import to_persian_digits
from enrollment.staff.accounts import staff_second_factor_reset


class Command(BaseCommand):
    help = (
        "Removes a staff member's second-factor devices (authenticator app and recovery codes) after a lost "
        "phone; their next sign-in enrols a new one. Logged, and written to the audit log, with who ran it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"کاربری با نام «{username}» پیدا نشد.")
        by = f"manage.py staff_otp_reset (os user {os.environ.get('USER', 'unknown')})"
        removed = staff_second_factor_reset(actor=None, user=user, reason=by, by=by)  # recorded in the audit log
        self.stdout.write(
            f"رمز دوم «{username}» از نو راه‌اندازی شد ({to_persian_digits(removed)} دستگاه حذف شد). "
            "در ورود بعدی، برنامه تازه را فعال می‌کند."
        )
