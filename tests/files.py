"""Small real files for upload tests: uploads are decoded (images re-encoded, PDFs parsed), so a
signature followed by zeros no longer passes for a photo.

The images are fixed points of the re-encoding (anmin.core.uploads), so a test may still compare
what it downloads with what it uploaded.
"""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def _canonical(kind: str, image: Image.Image) -> bytes:
    from anmin.core.uploads import reencode_image

    out = io.BytesIO()
    image.save(out, format=kind.upper())
    data = out.getvalue()
    for _ in range(10):  # JPEG settles after a pass or two
        upload = SimpleUploadedFile(f"x.{kind}", data)
        reencode_image(upload, kind, field="file")
        again = upload.read()
        if again == data:
            return data
        data = again
    raise AssertionError(f"re-encoding a {kind} does not settle")


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = _canonical("png", Image.new("RGB", (8, 6), (30, 90, 200)))
JPEG = _canonical("jpeg", Image.new("RGB", (16, 16), (200, 30, 30)))
PDF = _pdf()
