"""Re-evaluate every open dispute against the repeat-call rule (after an import of history, or
after the rule was tightened): those whose place reached the rule's count are flagged."""

from django.core.management.base import BaseCommand

from anmin.disputes.actions import EscalateDisputes


class Command(BaseCommand):
    help = "按重复报警规则重新评估在办矛盾纠纷的风险等级"

    def handle(self, *args, **options):
        escalated = EscalateDisputes().execute()
        for dispute in escalated:
            self.stdout.write(f"{dispute.number} {dispute.get_risk_display()} {dispute.flag_reason}")
        self.stdout.write(f"风险升级 {len(escalated)} 件")
