"""案件评查 (case quality reviews against a rubric, with rectification) and 集体议案 (collective
deliberation of major cases). Split out of `supervision`, which keeps the time limits and inspections."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.cases.models import Case
from anmin.org.models import Organization


class Rubric(models.Model):
    """An 评查标准: the items a reviewer checks, each with the most it may cost."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    full_score = models.PositiveSmallIntegerField(_("满分"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("评查标准")
        verbose_name_plural = _("评查标准")

    def __str__(self):
        return self.name


class RubricItem(models.Model):
    """One item of a rubric: what is checked and the maximum deduction (扣分上限)."""

    rubric = models.ForeignKey(Rubric, verbose_name=_("评查标准"), related_name="items", on_delete=models.CASCADE)
    code = models.SlugField(_("代码"), max_length=30)
    text = models.CharField(_("评查项目"), max_length=120)
    max_deduction = models.PositiveSmallIntegerField(_("扣分上限"), validators=[MinValueValidator(1)])
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评查项目")
        verbose_name_plural = _("评查项目")
        ordering = ["rubric", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["rubric", "code"], name="unique_rubric_item_code")]

    def __str__(self):
        return self.text


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(case__in=Case.objects.visible_to(user))


class CaseReview(models.Model):
    """An 案件评查 of one case by a legal supervisor: findings per item, a score, and rectification."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="reviews", on_delete=models.CASCADE)
    rubric = models.ForeignKey(Rubric, verbose_name=_("评查标准"), on_delete=models.PROTECT)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评查人"), on_delete=models.PROTECT)
    reviewed_at = models.DateTimeField(_("评查时间"), default=timezone.now)
    score = models.PositiveSmallIntegerField(_("得分"))
    summary = models.TextField(_("评查意见"), max_length=2000, blank=True)
    # Denormalized at review time: scores per unit and investigator must not move when a case is
    # later reassigned.
    organization = models.ForeignKey(
        Organization, verbose_name=_("被评查单位"), related_name="+", on_delete=models.PROTECT
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("被评查主办人"), related_name="+", on_delete=models.PROTECT
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件评查")
        verbose_name_plural = _("案件评查")
        ordering = ["-reviewed_at"]

    def __str__(self):
        return f"{self.case.number} {self.score}"


class ReviewFinding(models.Model):
    """A problem found under one rubric item, with its deduction."""

    review = models.ForeignKey(CaseReview, verbose_name=_("评查"), related_name="findings", on_delete=models.CASCADE)
    item = models.ForeignKey(RubricItem, verbose_name=_("评查项目"), on_delete=models.PROTECT)
    deduction = models.PositiveSmallIntegerField(_("扣分"))
    note = models.CharField(_("问题描述"), max_length=500)

    class Meta:
        verbose_name = _("评查发现")
        verbose_name_plural = _("评查发现")

    def __str__(self):
        return f"{self.item} -{self.deduction}"


class Rectification(models.Model):
    """整改任务 for a finding: who must fix it, by when, and when it was done."""

    finding = models.OneToOneField(
        ReviewFinding, verbose_name=_("评查发现"), related_name="rectification", on_delete=models.CASCADE
    )
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("整改责任人"), on_delete=models.PROTECT)
    due_date = models.DateField(_("整改期限"))
    done_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    done_note = models.CharField(_("整改情况"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        ordering = ["due_date", "id"]

    def __str__(self):
        return f"{self.finding} → {self.assignee}"

    def is_overdue(self, today=None) -> bool:
        return self.done_at is None and (today or timezone.localdate()) > self.due_date


class Deliberation(models.Model):
    """集体议案: a major or difficult case discussed by the unit's leadership (集体讨论决定), with the
    attendees, the question, the decision and any dissent kept on record."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="deliberations", on_delete=models.CASCADE)
    held_at = models.DateTimeField(_("议案时间"))
    location = models.CharField(_("地点"), max_length=60, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("主持人"), related_name="+", on_delete=models.PROTECT
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("参加人员"), related_name="+")
    question = models.TextField(_("议题"), max_length=2000)
    decision = models.TextField(_("决定"), max_length=2000)
    dissent = models.TextField(_("不同意见"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), related_name="+", on_delete=models.PROTECT
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("集体议案")
        verbose_name_plural = _("集体议案")
        ordering = ["-held_at"]

    def __str__(self):
        return f"{self.case.number} {self.held_at:%Y-%m-%d}"
