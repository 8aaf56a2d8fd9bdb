from django.core.management.base import BaseCommand

from fixtures.demo import DEMO_LOGINS, demo_world_ensure


class Command(BaseCommand):
    help = (
        "Builds the demo world of DESIGN.md (idempotent); --pensioners N adds N synthetic pensioners; "
        "--requests M gives M of them a request in the active period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pensioners", type=int, default=0, help="synthetic pensioners to add (with dependents)")
        parser.add_argument(
            "--requests", type=int, default=0, help="synthetic requests to have in the active period (with items)"
        )
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, pensioners: int, requests: int, quiet_logins: bool, **options):
        period = demo_world_ensure()
        self.stdout.write(f"demo world ready; contract period: {period.title}")
        if pensioners:
            from fixtures.synthetic import synthetic_pensioners_ensure

            synthetic_pensioners_ensure(total=pensioners, out=self.stdout)
        if requests:
            from fixtures.synthetic import synthetic_requests_ensure

            synthetic_requests_ensure(total=requests, out=self.stdout)
        if not quiet_logins:
            self.stdout.write("\nDemo logins:")
            for login in DEMO_LOGINS:
                self.stdout.write(f"  {login.who}: {login.login}  ({login.what})")
