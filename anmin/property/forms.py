"""Forms of the property register page, one per operation (登记, 添加照片, 保管链的一步). Ids are
bounded here; the amounts, kinds and custody rules are checked by the actions, which name the field."""

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from anmin.cases.forms import choice
from anmin.core.forms import IdField, text


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one `<input type="file" multiple>`; their content and number are checked by
    the action (StoresPhotos), which re-encodes them."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        cleaned = []
        for upload in data if isinstance(data, list | tuple) else [data]:
            if upload:
                cleaned.append(super().clean(upload, initial))
        return cleaned


class RegisterForm(forms.Form):
    """登记涉案财物."""

    kind = choice(_("类别"))
    description = text(label=_("描述"))
    quantity = text(label=_("数量"))
    unit = text(label=_("单位"))
    estimated_value = text(label=_("估值（元）"))
    owner_name = text(label=_("所有人"))
    owner_id_number = text(label=_("所有人身份证号码"))
    photos = PhotosField(label=_("照片"))


class PhotosForm(forms.Form):
    """添加照片 to one item of the case."""

    item = IdField(label=_("涉案财物"))
    photos = PhotosField(label=_("照片"))
    caption = text(label=_("说明"))


class CustodyForm(forms.Form):
    """One step of an item's custody chain (移交、入库、调用、归还、处置…)."""

    item = IdField(label=_("涉案财物"))
    action = text(label=_("操作"))
    location = text(label=_("存放位置"))
    counterpart = text(label=_("交接对象"))
    note = text(label=_("事由"))
