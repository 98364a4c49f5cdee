"""典型案例库: anonymised cases that the legal unit publishes as guidance for front-line officers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from anmin.library.text import index_text
from anmin.org.models import Role, scope_path

#: Who writes, publishes and withdraws typical cases: the 法制 unit and leaders.
LIBRARY_EDITOR_ROLES = frozenset({Role.LEGAL, Role.LEADER})


def can_edit_library(user) -> bool:
    """The legal unit (法制监督员), leaders and superusers edit the library; everyone else only reads."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return user.is_superuser or user.role in LIBRARY_EDITOR_ROLES


class Tag(models.Model):
    """A keyword the legal unit files typical cases under (入室盗窃, 证据固定, 现场处置…).

    A table rather than a comma-separated column: the tags are a small vocabulary the legal unit
    curates (a typo is fixed once, here, for every case), and `?tag=` is an exact, indexed join
    instead of a substring match on a delimited string. The price — one prefetch query per list,
    and keeping `search_text` in step when tags change — is paid in the signal handlers below.
    """

    name = models.CharField(_("标签"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        renamed = self.pk is not None and not Tag.objects.filter(pk=self.pk, name=self.name).exists()
        super().save(*args, **kwargs)
        if renamed:  # every case filed under the tag carries its name in search_text
            for case in self.cases.all():
                case.refresh_search_text()


class TypicalCaseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=TypicalCase.Status.PUBLISHED)

    def visible_to(self, user):
        """Published cases for every logged-in officer — they are guidance for the whole bureau and
        carry no personal data. Drafts and withdrawn cases only for editors: their own, and those
        written within their unit subtree (the bureau's legal unit sees all of them)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        published = Q(status=TypicalCase.Status.PUBLISHED)
        if not can_edit_library(user):
            return self.filter(published)
        path = scope_path(user)
        if path == "":
            return self
        mine = Q(author=user)
        if path is None:
            return self.filter(published | mine)
        return self.filter(published | mine | Q(author__organization__path__startswith=path))


class TypicalCase(models.Model):
    """典型案例: a handled case retold without personal data — 案情, 办案要点, 法律依据 — so that
    officers facing a similar situation know what to do and on what legal basis.

    The legal unit writes a draft (possibly from a real case, kept in `source_case` for its own
    reference only and never shown to readers), publishes it once no ID number, mobile number or
    plate is left in it, and withdraws it when the law or practice changes (the 治安管理处罚法 was
    revised with effect from 2026-01-01 and renumbered its articles: old citations must be checked).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    title = models.CharField(_("标题"), max_length=120)
    summary = models.TextField(_("案情"), max_length=10000, blank=True)
    key_points = models.TextField(_("办案要点"), max_length=10000, blank=True)
    legal_basis = models.TextField(_("法律依据"), max_length=5000, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), related_name="cases", blank=True)
    category = models.ForeignKey(
        "incidents.Category",
        verbose_name=_("警情类别"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    source_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("来源案件"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        help_text=_("仅供法制部门查考，不向一线民警展示"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撰写人"), related_name="+", on_delete=models.PROTECT
    )
    search_text = models.TextField(_("检索词"), blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = TypicalCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "-published_at"], name="library_status_published")]

    def __str__(self):
        return self.title

    #: The fields whose text goes into search_text (tags and the category name are added too).
    TEXT_FIELDS = ("title", "summary", "key_points", "legal_basis")

    def build_search_text(self) -> str:
        """The jieba words of the title, body, category and tags, space separated."""
        parts = [getattr(self, name) or "" for name in self.TEXT_FIELDS]
        if self.category_id:
            parts.append(self.category.name)
        if self.pk is not None:
            parts.extend(self.tags.values_list("name", flat=True))
        return index_text("\n".join(parts))

    def save(self, *args, **kwargs):
        # Kept in step on every save, whatever the caller (actions, admin, shell), so the index can
        # never lag behind the text; tag changes are caught by the m2m_changed handler below.
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def refresh_search_text(self) -> None:
        """Recompute search_text in place (after its tags changed) without touching updated_at."""
        self.search_text = self.build_search_text()
        TypicalCase.objects.filter(pk=self.pk).update(search_text=self.search_text)


@receiver(m2m_changed, sender=TypicalCase.tags.through)
def _tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse and action == "pre_clear":
        instance._library_cases_before_clear = list(instance.cases.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        instance.refresh_search_text()
        return
    ids = pk_set if action != "post_clear" else getattr(instance, "_library_cases_before_clear", [])
    for case in TypicalCase.objects.filter(pk__in=ids or []).select_related("category"):
        case.refresh_search_text()


@receiver(pre_delete, sender=Tag)
def _tag_deleting(sender, instance, **kwargs):
    # Deleting a tag removes its through rows without an m2m_changed signal: remember the cases.
    instance._library_cases = list(instance.cases.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag)
def _tag_deleted(sender, instance, **kwargs):
    for case in TypicalCase.objects.filter(pk__in=getattr(instance, "_library_cases", [])).select_related("category"):
        case.refresh_search_text()
