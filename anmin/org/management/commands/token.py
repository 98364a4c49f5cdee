"""`anmin token create USERNAME` / `anmin token revoke PREFIX`: API tokens, each issue and revocation
a security event in the audit trail (token.issued / token.revoked)."""

import socket

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from anmin.core.actions import write_transaction
from anmin.core.models import append_audit
from anmin.org.models import ApiToken, Officer


class _Command:
    """The actor of a command-line event: the host it ran on (there is no signed-in officer)."""

    audit_label = f"command@{socket.gethostname()}"[:100]


class Command(BaseCommand):
    help = (
        "API tokens: `anmin token create USERNAME [--name NAME]` prints a new bearer token once; "
        "`anmin token revoke PREFIX` revokes the token(s) starting with PREFIX (as the admin lists them). "
        "Both are recorded in the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["create", "revoke"])
        parser.add_argument("subject", help="create: username or 警号; revoke: the token's prefix (anm_…)")
        parser.add_argument("--name", default="cli", help="what the token is for")

    def handle(self, *args, verb, subject, name, **options):
        if verb == "revoke":
            self.revoke(subject)
        else:
            self.create(subject, name)

    def create(self, subject: str, name: str) -> None:
        officer = Officer.objects.filter(Q(username=subject) | Q(badge_number=subject)).first()
        if officer is None:
            raise CommandError(f"no officer with username or badge number {subject!r}")
        if not officer.is_active:
            raise CommandError(f"officer {subject!r} is not active")
        with write_transaction():
            token, raw = ApiToken.issue(officer, name=name[:60])
            append_audit(
                actor=_Command(),
                action="token.issued",
                obj=token,
                data={"prefix": token.prefix, "officer": officer.audit_label, "name": token.name},
            )
        self.stdout.write(raw)

    def revoke(self, prefix: str) -> None:
        if len(prefix) < 8:
            raise CommandError("give the token's prefix as the admin lists it (8 characters, anm_…)")
        with write_transaction():
            tokens = list(ApiToken.objects.select_related("officer").filter(prefix=prefix[:8], revoked=False))
            if not tokens:
                raise CommandError(f"no active token with prefix {prefix[:8]!r}")
            if len(tokens) > 1:
                raise CommandError(
                    f"{len(tokens)} tokens share the prefix {prefix[:8]!r}: revoke the right one in the admin"
                )
            token = tokens[0]
            token.revoked = True
            token.save(update_fields=["revoked"])
            append_audit(
                actor=_Command(),
                action="token.revoked",
                obj=token,
                data={"prefix": token.prefix, "officer": token.officer.audit_label},
            )
        self.stdout.write(f"revoked the token {prefix[:8]}… of {tokens[0].officer.audit_label}")
