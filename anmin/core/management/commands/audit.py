from django.core.management.base import BaseCommand, CommandError

from anmin.core.models import verify_chain


class Command(BaseCommand):
    help = "Audit trail: `anmin audit verify` checks the hash chain and reports the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["verify"])

    def handle(self, *args, verb, **options):
        checked, bad, reason = verify_chain()
        if not reason:
            self.stdout.write(self.style.SUCCESS(f"audit trail intact: {checked} entries verified"))
            return
        where = f"entry #{bad.pk} ({bad.action} {bad.object_type}#{bad.object_id})" if bad else "the end of the trail"
        raise CommandError(f"audit trail broken at {where}: {reason}")
