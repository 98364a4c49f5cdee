"""Case documents: checked by content and size, stored outside the web root, served only in scope."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from anmin.cases.actions import OpenCase
from anmin.cases.models import CaseDocument
from anmin.core.models import AuditEntry


def _blank_pdf() -> bytes:
    """A one-page PDF that a PDF reader opens (uploads are refused unless their page tree parses)."""
    writer, buffer = PdfWriter(), BytesIO()
    writer.add_blank_page(width=72, height=72)
    writer.write(buffer)
    return buffer.getvalue()


PDF = _blank_pdf()


def _small_png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _small_png()
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="材料测试案").execute()


@pytest.fixture(autouse=True)
def _private_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


def upload(client, case, name, content, **extra):
    data = {
        "kind": "document",
        "title": extra.pop("title", ""),
        "file": SimpleUploadedFile(name, content),
    }
    return client.post(f"/cases/{case.pk}/documents/", data | extra)


def test_it_stores_a_pdf_outside_the_web_root_and_serves_it_in_scope(city, case, tmp_path):
    client = city.login(city.station_officer)
    assert upload(client, case, "讯问笔录.pdf", PDF, title="讯问笔录").status_code == 302
    document = CaseDocument.objects.get()
    assert (document.content_type, document.size, document.title) == ("pdf", len(PDF), "讯问笔录")
    assert document.file.path.startswith(str(tmp_path / "private"))
    assert "讯问笔录" not in document.file.name  # the stored name is a random token
    response = client.get(f"/cases/{case.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert city.login(city.outsider).get(f"/cases/{case.pk}/documents/{document.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="case.upload").exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("scan.pdf", EXE, "file_type"),  # an executable renamed to .pdf
        ("photo.jpg", EXE, "file_type"),
        ("notes.txt", b"plain text", "file_type"),
        ("scan.jpg", PDF, "extension"),  # a PDF under an image name
        ("empty.pdf", b"", "empty"),
    ],
)
def test_it_refuses_a_file_that_is_not_what_it_claims(city, case, tmp_path, name, content, code):
    client = city.login(city.station_officer)
    response = upload(client, case, name, content)
    assert response.status_code == 400
    assert 'data-field="file"' in response.content.decode()
    assert not CaseDocument.objects.exists()
    assert not (tmp_path / "private").exists() or not any((tmp_path / "private").rglob("*.*"))


def test_it_refuses_a_file_over_the_size_limit(city, case):
    from anmin.core.errors import ActionError
    from anmin.core.uploads import check_upload

    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (2 * 1024 * 1024))
    with pytest.raises(ActionError) as caught:
        check_upload(big, field="file", max_mb=1)
    assert (caught.value.field, caught.value.code) == ("file", "too_large")
    assert check_upload(SimpleUploadedFile("ok.png", PNG), field="file") == "png"


def test_only_case_handlers_upload(city, case):
    response = upload(city.login(city.outsider), case, "x.pdf", PDF)
    assert response.status_code == 404
    assert not CaseDocument.objects.exists()
