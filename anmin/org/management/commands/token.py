from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from anmin.org.models import ApiToken, Officer


class Command(BaseCommand):
    help = "API tokens: `anmin token create USERNAME [--name NAME]` prints a new bearer token once."

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["create"])
        parser.add_argument("username", help="username or 警号")
        parser.add_argument("--name", default="cli", help="what the token is for")

    def handle(self, *args, verb, username, name, **options):
        officer = Officer.objects.filter(Q(username=username) | Q(badge_number=username)).first()
        if officer is None:
            raise CommandError(f"no officer with username or badge number {username!r}")
        if not officer.is_active:
            raise CommandError(f"officer {username!r} is not active")
        _token, raw = ApiToken.issue(officer, name=name[:60])
        self.stdout.write(raw)
