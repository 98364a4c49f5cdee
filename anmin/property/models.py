"""涉案财物: seized property, its custody chain (保管链) and the approvals that let it leave the store.

Basis: 《公安机关涉案财物管理若干规定》(公通字〔2015〕21号, in force 2015-09-01); see custody.py for the
chain and which step the regulation ties to what.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.cases.models import Case
from anmin.core.approvals import Approval, ApprovalQuerySet
from anmin.core.crypto import EncryptedCharField
from anmin.core.masking import mask_id_number
from anmin.core.uploads import private_storage
from anmin.org.models import scope_path
from anmin.property.custody import DISPOSALS, CustodyAction, CustodyStatus

#: How many photos one item may have: enough for every side, the seal and the label, and a bound on
#: what one register page has to show.
MAX_PHOTOS_PER_ITEM = 20


class ItemKind(models.TextChoices):
    """What was seized: the kind decides how it is kept (cash goes to the 涉案款专户, drugs and
    controlled knives are 违禁品 that are never returned)."""

    CASH = "cash", _("现金")
    VEHICLE = "vehicle", _("车辆")
    ELECTRONICS = "electronics", _("手机电子设备")
    KNIFE = "knife", _("管制刀具")
    DRUGS = "drugs", _("毒品")
    DOCUMENT = "document", _("文书")
    VALUABLES = "valuables", _("贵重物品")
    OTHER = "other", _("其他")


class SeizedItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An item is visible to whoever sees its case (Case.objects.visible_to)."""
        path = scope_path(user)
        if path is None:
            return self.none()
        if not path:
            return self
        return self.filter(case__in=Case.objects.visible_to(user))

    def with_photo_flag(self):
        """Annotate `has_photos`, so a list says which items have photos without a query per row."""
        return self.annotate(has_photos=Exists(ItemPhoto.objects.filter(item=OuterRef("pk"))))


class SeizedItem(models.Model):
    """One seized item (涉案财物): something taken in a case — 扣押、调取、先行登记保存 — held by the
    police until it is returned to its owner (发还), confiscated (没收) or destroyed (销毁).

    `label_code` is printed with a QR code on the label stuck to the item or its bag: "W", the 案件编号
    and a 3-digit serial within the case. `status` is where the item is in the custody chain; it
    changes only through RecordCustody, which appends a CustodyEvent for every step.
    """

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="property_items", on_delete=models.PROTECT)
    label_code = models.CharField(_("财物编号"), max_length=40, unique=True, editable=False)
    kind = models.CharField(_("财物类别"), max_length=16, choices=ItemKind.choices)
    description = models.CharField(_("名称及特征"), max_length=500)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("计量单位"), max_length=10, default="件")
    estimated_value = models.DecimalField(_("估价（元）"), max_digits=14, decimal_places=2, default=0)
    owner_name = models.CharField(_("持有人/所有人"), max_length=60, blank=True)
    owner_id_number = EncryptedCharField(_("持有人身份证号码"), max_length=18, blank=True)
    status = models.CharField(_("保管状态"), max_length=16, choices=CustodyStatus.choices, default=CustodyStatus.SEIZED)
    status_since = models.DateTimeField(_("进入当前状态"), default=timezone.now)
    disposition = models.CharField(
        _("处置方式"),
        max_length=16,
        blank=True,
        choices=[(action.value, action.label) for action in DISPOSALS],
    )
    location = models.CharField(_("存放位置"), max_length=100, blank=True)
    seized_at = models.DateTimeField(_("扣押时间"), default=timezone.now)
    handed_over_at = models.DateTimeField(_("移交保管时间"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), related_name="+", on_delete=models.PROTECT
    )
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = SeizedItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("涉案财物")
        verbose_name_plural = _("涉案财物")
        ordering = ["label_code"]
        indexes = [
            models.Index(fields=["status", "seized_at"]),
            models.Index(fields=["status", "status_since"]),
        ]
        constraints = [
            # The actions check these with clear messages; the database keeps them whatever writes.
            models.CheckConstraint(condition=Q(quantity__gt=0), name="seized_item_quantity_positive"),
            models.CheckConstraint(condition=Q(estimated_value__gte=0), name="seized_item_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.label_code} {self.description[:30]}"

    @property
    def owner_id_masked(self) -> str:
        return mask_id_number(self.owner_id_number)


class PhotoType(models.TextChoices):
    """The content types a photo may have; decided by the file's first bytes on upload, never by its name."""

    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png"}[self.value]


class ItemPhoto(models.Model):
    """A photo of a seized item (涉案财物照片): taken when it is seized and registered — every side, the
    seal, the label — and again when it matters later (before it is lent out, when it goes back to
    its owner). The photos stand beside the 扣押清单 as the record of what the item looked like in the
    police's hands, so they are only ever added, never replaced or deleted, and every one is in the
    audit trail with the SHA-256 of its bytes (kept here too).

    The file is kept under MEDIA_ROOT, which no URL serves: a photo is evidence and may show personal
    data, so it is streamed only through the scoped API. The stored name is random, never the
    uploader's.
    """

    item = models.ForeignKey(SeizedItem, verbose_name=_("涉案财物"), related_name="photos", on_delete=models.PROTECT)
    file = models.FileField(_("照片"), storage=private_storage, upload_to="property/%Y/%m/")
    content_type = models.CharField(_("文件类型"), max_length=20, choices=PhotoType.choices)
    size = models.PositiveIntegerField(_("大小（字节）"))
    # Recorded on upload (and in the audit entry), so anyone can tell later that the file on disk is
    # the one that was taken.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), related_name="+", on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("涉案财物照片")
        verbose_name_plural = _("涉案财物照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.item.label_code} #{self.pk}"

    @property
    def extension(self) -> str:
        return PhotoType(self.content_type).extension


class PropertySequence(models.Model):
    """The counter behind label codes: one per case (prefix = "W" + 案件编号)."""

    prefix = models.CharField(max_length=40, unique=True)
    last = models.PositiveIntegerField(default=0)


#: Which property approvals hold their step: waiting for a decision, or granted and not yet used
#: (asking again then would authorise the step twice).
OPEN_PROPERTY_APPROVAL = Q(status="pending") | Q(status="approved", executed_at__isnull=True)


class PropertyApproval(Approval):
    """审批 for a custody step the regulation reserves to a leader: 调用出库 (art. 11: 经办案部门负责人
    批准) and the disposals 发还、没收、销毁. The investigator asks, another officer with the right to
    approve decides; nobody approves their own request (see anmin.core.approvals). An approval
    authorises the step once: the step is recorded when the item actually moves, and the event
    points back at the approval."""

    subject_field = "item"
    OPEN = OPEN_PROPERTY_APPROVAL

    item = models.ForeignKey(SeizedItem, verbose_name=_("涉案财物"), related_name="approvals", on_delete=models.PROTECT)
    action = models.CharField(_("申请事项"), max_length=16, choices=CustodyAction.choices)
    executed_at = models.DateTimeField(_("执行时间"), null=True, blank=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta(Approval.Meta):
        verbose_name = _("涉案财物审批")
        verbose_name_plural = _("涉案财物审批")
        constraints = [
            # One open matter per item and step: waiting for a decision, or approved and not yet used.
            models.UniqueConstraint(
                fields=["item", "action"], condition=OPEN_PROPERTY_APPROVAL, name="one_open_property_approval"
            )
        ]

    def __str__(self):
        return f"{self.item.label_code} {self.get_action_display()} {self.get_status_display()}"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.APPROVED and self.executed_at is None


class CustodyEvent(models.Model):
    """One link of the custody chain (保管链): who moved the item from which state to which, when,
    where to, and who was on the other side (the keeper who took it over, the investigator it was
    lent to, the owner it went back to). Written only by the actions; never edited."""

    item = models.ForeignKey(SeizedItem, verbose_name=_("涉案财物"), related_name="events", on_delete=models.PROTECT)
    kind = models.CharField(_("环节"), max_length=16, choices=CustodyAction.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), related_name="+", null=True, on_delete=models.SET_NULL
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=CustodyStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=CustodyStatus.choices)
    location = models.CharField(_("存放位置"), max_length=100, blank=True)
    counterpart = models.CharField(_("交接对象"), max_length=60, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    approval = models.ForeignKey(
        PropertyApproval,
        verbose_name=_("依据审批"),
        related_name="events",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("保管环节")
        verbose_name_plural = _("保管环节")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.item.label_code} {self.get_kind_display()}"
