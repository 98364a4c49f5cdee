"""Checking uploaded files by what they are, not what they are called.

The first bytes say what a file claims to be; that alone let a PNG header followed by HTML
through. So an image is decoded with Pillow and stored re-encoded (only its pixels: no EXIF with
the phone's GPS position, no trailing bytes, no chunks a browser might sniff as a page), and a PDF
is stored only if pypdf can read its page tree.
"""

import io

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
#: The most pixels an uploaded image may have: 50 megapixels is more than a phone's photo, and
#: decoding is bounded (a small file can claim a huge canvas: a "decompression bomb").
MAX_PIXELS = 50_000_000


def private_storage() -> FileSystemStorage:
    """Files kept outside the web root (MEDIA_ROOT, by default var/private: no URL serves it),
    streamed only by scoped views. The location follows settings.MEDIA_ROOT, also in tests."""
    return FileSystemStorage()


def check_upload(
    upload: UploadedFile | None, *, field: str, kinds: tuple[str, ...] = ("pdf", "jpeg", "png"), max_mb: int = 20
) -> str:
    """Return the detected kind of an upload, or raise ActionError naming `field`.

    The first bytes decide, so an executable renamed to photo.jpg is refused; the name's extension
    must also agree with the content, so a PDF named .jpg is refused too. Then the content must
    parse as that kind: an image is replaced, in `upload` itself, by its re-encoded pixels (so a
    caller stores the cleaned file by storing `upload`, as before), a PDF must open with pypdf.
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
            if kind == "pdf":
                check_pdf(upload, field=field)
            else:
                reencode_image(upload, kind, field=field)
            return kind
    allowed = "、".join(k.upper() for k in kinds)
    raise ActionError(
        _("只能上传 %(allowed)s 文件（按文件内容判断）") % {"allowed": allowed}, field=field, code="file_type"
    )


def _unreadable(kind: str, field: str) -> ActionError:
    return ActionError(
        _("文件无法识别为有效的 %(kind)s，可能已损坏") % {"kind": kind.upper()}, field=field, code="invalid"
    )


def reencode_image(upload: UploadedFile, kind: str, *, field: str) -> None:
    """Decode the image and write its pixels back into `upload` as a fresh file of the same kind."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload, formats=(kind.upper(),)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ActionError(
                    _("图片过大：不能超过 %(mp)s 百万像素") % {"mp": MAX_PIXELS // 1_000_000},
                    field=field,
                    code="too_many_pixels",
                )
            image.load()
            # Rotated as the camera meant it, since the EXIF that said so is not kept.
            upright = ImageOps.exif_transpose(image)
            if kind == "jpeg":
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                out = io.BytesIO()
                upright.save(out, format="JPEG", quality=90)
            else:
                out = io.BytesIO()
                upright.save(out, format="PNG")
    except ActionError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        # Pillow reports a truncated or malformed file as OSError/SyntaxError/ValueError.
        raise _unreadable(kind, field) from None
    data = out.getvalue()
    # Written into the upload's own file: a large upload lives in a temporary file that storage
    # moves into place by its path, so replacing the file object would store the original.
    target = upload.file
    target.seek(0)
    target.truncate()
    target.write(data)
    target.flush()
    target.seek(0)
    upload.size = len(data)


def check_pdf(upload: UploadedFile, *, field: str) -> None:
    """Refuse a PDF whose structure pypdf cannot read (its page tree, to the last page)."""
    from pypdf import PdfReader

    upload.seek(0)
    try:
        pages = len(PdfReader(upload).pages)
    except Exception:  # noqa: BLE001 - pypdf raises many kinds (PdfReadError, KeyError, ValueError…) for a broken file
        raise _unreadable("pdf", field) from None
    finally:
        upload.seek(0)
    if pages == 0:
        raise _unreadable("pdf", field)
