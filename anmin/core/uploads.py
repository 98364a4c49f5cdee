"""Checking uploaded files by what they are, not what they are called."""

from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from anmin.core.errors import ActionError

#: Signatures ("magic bytes") of the types the platform accepts, and their proper extensions.
SIGNATURES = {
    "pdf": (b"%PDF-", (".pdf",)),
    "jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}


def private_storage() -> FileSystemStorage:
    """Files kept outside the web root (MEDIA_ROOT, by default var/private: no URL serves it),
    streamed only by scoped views. The location follows settings.MEDIA_ROOT, also in tests."""
    return FileSystemStorage()


def check_upload(
    upload: UploadedFile | None, *, field: str, kinds: tuple[str, ...] = ("pdf", "jpeg", "png"), max_mb: int = 20
) -> str:
    """Return the detected kind of an upload, or raise ActionError naming `field`.

    The first bytes decide, so an executable renamed to photo.jpg is refused; the name's extension
    must also agree with the content, so a PDF named .jpg is refused too.
    """
    if upload is None or not getattr(upload, "name", ""):
        raise ActionError(_("请选择要上传的文件"), field=field, code="required")
    if upload.size == 0:
        raise ActionError(_("文件是空的"), field=field, code="empty")
    if upload.size > max_mb * 1024 * 1024:
        raise ActionError(_("文件不能超过 %(mb)s MB") % {"mb": max_mb}, field=field, code="too_large")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = upload.name.lower()
    for kind in kinds:
        signature, extensions = SIGNATURES[kind]
        if head.startswith(signature):
            if not name.endswith(extensions):
                raise ActionError(
                    _("文件内容是 %(kind)s，但文件名后缀不符") % {"kind": kind.upper()}, field=field, code="extension"
                )
            return kind
    allowed = "、".join(k.upper() for k in kinds)
    raise ActionError(
        _("只能上传 %(allowed)s 文件（按文件内容判断）") % {"allowed": allowed}, field=field, code="file_type"
    )
