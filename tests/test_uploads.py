"""Uploads are judged by their content: images decoded and re-encoded, PDFs parsed (anmin.core.uploads)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter

from anmin.core.errors import ActionError
from anmin.core.uploads import MAX_PIXELS, check_upload


def image_bytes(fmt: str, size=(40, 30), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refused(upload, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as caught:
        check_upload(upload, field="file", **kwargs)
    assert caught.value.field == "file"
    return caught.value


def test_it_accepts_a_real_png_jpeg_and_pdf():
    assert check_upload(SimpleUploadedFile("a.png", image_bytes("PNG")), field="file") == "png"
    assert check_upload(SimpleUploadedFile("a.jpg", image_bytes("JPEG")), field="file") == "jpeg"
    pdf = SimpleUploadedFile("a.pdf", pdf_bytes())
    assert check_upload(pdf, field="file") == "pdf"
    assert pdf.read() == pdf_bytes()  # a PDF is stored as it came, and left at its start


def test_it_rejects_a_png_header_followed_by_html():
    upload = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>")
    assert refused(upload).code == "invalid"


def test_it_rejects_a_pdf_that_does_not_parse():
    upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4\n<html>not a pdf</html>\n")
    assert refused(upload).code == "invalid"


def test_it_strips_metadata_and_trailing_bytes_from_a_jpeg():
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Maker"  # Make
    exif[0x8825] = {2: (37.0, 44.0, 0.0)}  # GPS latitude
    original = image_bytes("JPEG", exif=exif.tobytes()) + b"<html>trailing</html>"
    upload = SimpleUploadedFile("p.jpg", original)
    assert check_upload(upload, field="photo") == "jpeg"
    stored = upload.read()
    assert b"Secret Camera Maker" not in stored and b"<html>" not in stored
    assert upload.size == len(stored) and stored != original
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (40, 30)
        assert not image.getexif()


def test_it_turns_a_photo_upright_before_dropping_its_orientation_tag():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to view
    upload = SimpleUploadedFile("p.jpg", image_bytes("JPEG", size=(40, 30), exif=exif.tobytes()))
    check_upload(upload, field="photo")
    with Image.open(upload) as image:
        assert image.size == (30, 40)


def test_it_strips_text_chunks_from_a_png():
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    upload = SimpleUploadedFile("p.png", image_bytes("PNG", pnginfo=info))
    check_upload(upload, field="photo")
    assert b"<script>" not in upload.read()


def test_it_rejects_an_image_with_too_many_pixels():
    # A one-colour PNG compresses to almost nothing, whatever its canvas.
    side = int(MAX_PIXELS**0.5) + 10
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")
    assert refused(SimpleUploadedFile("big.png", out.getvalue())).code == "too_many_pixels"


def test_it_rewrites_a_large_upload_in_its_temporary_file():
    """Storage moves a large upload's temporary file into place by path: the re-encoded bytes must be in it."""
    upload = TemporaryUploadedFile("p.png", "image/png", 0, None)
    info = PngInfo()
    info.add_text("Comment", "keep-out")
    upload.write(image_bytes("PNG", pnginfo=info))
    upload.size = upload.tell()
    upload.seek(0)
    try:
        check_upload(upload, field="photo")
        with open(upload.temporary_file_path(), "rb") as stored:
            content = stored.read()
        assert b"keep-out" not in content and len(content) == upload.size
        Image.open(io.BytesIO(content)).verify()
    finally:
        upload.close()


def test_it_still_checks_the_extension_against_the_content():
    assert refused(SimpleUploadedFile("a.jpg", image_bytes("PNG"))).code == "extension"
    assert refused(SimpleUploadedFile("a.pdf", b"MZ\x90\x00")).code == "file_type"


def test_a_checked_pdf_is_left_readable_from_its_start():
    upload = SimpleUploadedFile("a.pdf", pdf_bytes())
    check_upload(upload, field="file", kinds=("pdf",))
    assert len(PdfReader(upload).pages) == 1
