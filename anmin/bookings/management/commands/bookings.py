from django.core.management.base import BaseCommand

from anmin.bookings.actions import allocate_due


class Command(BaseCommand):
    help = (
        "约考: `anmin bookings allocate` allocates the seats of every exam session whose booking window "
        "has closed, by the traffic authority's ranking, and tells each applicant by SMS (run it from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["allocate"])

    def handle(self, *args, verb, **options):
        sessions = allocate_due()
        for session in sessions:
            self.stdout.write(f"已排考：{session}（{session.allocated}/{session.seats}）")
        self.stdout.write(self.style.SUCCESS(f"排考完成：{len(sessions)} 个场次"))
