from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from anmin.library.models import TypicalCase
from anmin.org.models import Officer


class Command(BaseCommand):
    help = (
        "典型案例库: `anmin library seed [--author USERNAME]` adds the demo typical cases; "
        "`anmin library reindex` re-segments every case (after adding words to the jieba dictionary)."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["seed", "reindex"])
        parser.add_argument("--author", help="username or 警号 of the legal officer who writes and publishes them")

    def handle(self, *args, verb, author=None, **options):
        if verb == "seed":
            from anmin.library.seed import seed_library

            officer = None
            if author:
                officer = Officer.objects.filter(Q(username=author) | Q(badge_number=author)).first()
                if officer is None:
                    raise CommandError(f"no officer with username or badge number {author!r}")
            try:
                created, skipped = seed_library(officer)
            except Exception as exc:  # an ActionError (not an editor) or no author at all: say why, no traceback
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"typical cases: {created} added, {skipped} already there")
            return
        count = 0
        for case in TypicalCase.objects.select_related("category").iterator(chunk_size=200):
            case.refresh_search_text()
            count += 1
        self.stdout.write(f"typical cases re-indexed: {count}")
