"""受案立案审查巡查: what the legal supervisor looked at and set aside, with the reason."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.cases.models import Case
from anmin.incidents.models import Incident


class InspectionKind(models.TextChoices):
    #: 有警不接、有案不立: a criminal or public-order incident with no case after the review limit.
    INCIDENT_WITHOUT_CASE = "incident", _("有警无案")
    #: 久拖不办: an open case that has sat in one status too long.
    IDLE_CASE = "idle_case", _("案件久未流转")


class InspectionDismissal(models.Model):
    """A row of the 受案立案审查巡查 list that a supervisor checked and set aside, with the reason
    (e.g. "纠纷已现场调解，不属于治安案件"). Required by 《公安部关于改革完善受案立案制度的意见》
    (2015): 法制部门 inspects 有警不接、有案不立 and must be able to show what it decided.

    An idle case is dismissed for its current stay in one status (`case_status_since`): if it moves
    on and then stalls again, it comes back."""

    kind = models.CharField(_("类别"), max_length=10, choices=InspectionKind.choices)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("警情"),
        null=True,
        blank=True,
        related_name="inspection_dismissals",
        on_delete=models.CASCADE,
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("案件"),
        null=True,
        blank=True,
        related_name="inspection_dismissals",
        on_delete=models.CASCADE,
    )
    case_status_since = models.DateTimeField(_("案件进入该状态的时间"), null=True, blank=True)
    reason = models.TextField(_("理由"), max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), related_name="+", on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("处理时间"), default=timezone.now)

    class Meta:
        verbose_name = _("巡查排除记录")
        verbose_name_plural = _("巡查排除记录")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="incident", incident__isnull=False, case__isnull=True)
                    | Q(kind="idle_case", incident__isnull=True, case__isnull=False, case_status_since__isnull=False)
                ),
                name="supervision_dismissal_one_target",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="supervision_dismissal_has_reason"),
            models.UniqueConstraint(
                fields=["incident"], condition=Q(incident__isnull=False), name="supervision_dismiss_incident_once"
            ),
            models.UniqueConstraint(
                fields=["case", "case_status_since"],
                condition=Q(case__isnull=False),
                name="supervision_dismiss_idle_once",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.incident or self.case}"
