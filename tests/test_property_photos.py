"""涉案财物照片: several photos per item, at registration and later; every one checked by its content
before any is stored; at most 20 per item; downloads only for those who see the case."""

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from anmin.cases.actions import OpenCase
from anmin.core import models as core_models
from anmin.core.errors import ActionError, Denied
from anmin.core.models import AuditEntry
from anmin.property.actions import AddItemPhoto, RegisterItem
from anmin.property.models import MAX_PHOTOS_PER_ITEM, ItemPhoto, SeizedItem


def picture(kind: str, n: int) -> bytes:
    """A real image (uploads are decoded and may be re-encoded), a different colour for each n so a
    download can be matched to its upload."""
    buffer = BytesIO()
    Image.new("RGB", (8, 8), (n % 256, 40, 80)).save(buffer, format=kind)
    return buffer.getvalue()


def same_picture(stored: bytes, uploaded: bytes) -> bool:
    """The stored file shows what was uploaded: the same size, and for a PNG the same pixels (a JPEG
    may have been re-encoded, which is lossy)."""
    with Image.open(BytesIO(stored)) as a, Image.open(BytesIO(uploaded)) as b:
        if (a.format, a.size) != (b.format, b.size):
            return False
        return a.format != "PNG" or a.convert("RGB").tobytes() == b.convert("RGB").tobytes()


PNG = picture("PNG", 0)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200  # a Windows executable


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploads go to a fresh folder per test, so a test can tell that nothing was written."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="王某盗窃电动车案").execute()


def png(n: int = 1, name: str = "") -> SimpleUploadedFile:
    # Each photo different, so a download can be matched to its upload.
    return SimpleUploadedFile(name or f"IMG_{n:04d}.png", picture("PNG", n), content_type="image/png")


def jpeg(n: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"IMG_{n:04d}.jpg", picture("JPEG", n), content_type="image/jpeg")


def register(city, case, photos=(), **kw) -> SeizedItem:
    data = {"kind": "electronics", "description": "黑色华为手机一部", "quantity": "1", "unit": "部"} | kw
    return RegisterItem(by=city.station_officer, case=case, photos=photos, **data).execute()


def written() -> tuple[int, int, int]:
    return SeizedItem.objects.count(), ItemPhoto.objects.count(), AuditEntry.objects.count()


# --- registering with photos ------------------------------------------------------------------------


def test_it_registers_an_item_with_several_photos_at_once(city, case, media):
    api = city.api(city.station_officer)
    response = api.post(
        f"/api/v1/cases/{case.pk}/property",
        {"kind": "valuables", "description": "黄金项链一条", "quantity": "1", "photos": [png(1), jpeg(2), png(3)]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_photo"] is True
    assert [p["content_type"] for p in body["photos"]] == ["image/png", "image/jpeg", "image/png"]
    assert all(p["uploaded_at"] and p["uploaded_by"] for p in body["photos"])
    files = stored_files(media)
    assert sorted(f.suffix for f in files) == [".jpg", ".png", ".png"]
    assert not any("IMG_" in f.name for f in files)  # stored under our names, never the uploader's
    uploaded = (picture("PNG", 1), picture("JPEG", 2), picture("PNG", 3))
    for photo, content in zip(body["photos"], uploaded, strict=True):
        assert photo["url"] == f"/api/v1/property/{body['id']}/photos/{photo['id']}"
        download = api.get(photo["url"])
        assert download.status_code == 200
        assert download["Content-Type"] == photo["content_type"]
        stored = b"".join(download.streaming_content)
        assert photo["sha256"] == hashlib.sha256(stored).hexdigest()
        assert same_picture(stored, content)
    audit = AuditEntry.objects.filter(action="property.photo").order_by("id")
    assert [a.data["sha256"] for a in audit] == [p["sha256"] for p in body["photos"]]
    assert AuditEntry.objects.get(action="property.register").data["photos"] == 3
    # The list says which items have photos, without listing them.
    assert [row["has_photo"] for row in api.get("/api/v1/property").json()] == [True]


def test_one_bad_photo_among_good_ones_refuses_the_registration(city, case, media):
    before = written()
    response = city.api(city.station_officer).post(
        f"/api/v1/cases/{case.pk}/property",
        {
            "kind": "other",
            "description": "照片测试",
            "quantity": "1",
            "photos": [png(1), SimpleUploadedFile("IMG_0002.jpg", EXE), png(3)],
        },
    )
    assert response.status_code == 400
    error = response.json()["detail"][0]
    assert (error["field"], error["code"]) == ("photos", "file_type")
    assert "第 2 张" in error["message"] and "IMG_0002.jpg" in error["message"]
    assert written() == before
    assert stored_files(media) == []


def test_it_refuses_more_than_the_limit_at_registration(city, case, media):
    before = written()
    with pytest.raises(ActionError) as caught:
        register(city, case, photos=[png(n) for n in range(MAX_PHOTOS_PER_ITEM + 1)])
    assert (caught.value.field, caught.value.code) == ("photos", "too_many")
    assert written() == before
    assert stored_files(media) == []


# --- adding photos later --------------------------------------------------------------------------


def test_it_adds_photos_to_a_registered_item(city, case, media):
    item = register(city, case, photos=[png(1)])
    api = city.api(city.station_officer)
    response = api.post(
        f"/api/v1/property/{item.pk}/photos", {"photos": [jpeg(2), png(3)], "caption": "归还时拍摄：屏幕新增划痕"}
    )
    assert response.status_code == 201, response.json()
    photos = response.json()["photos"]
    assert len(photos) == 3
    assert [p["caption"] for p in photos] == ["", "归还时拍摄：屏幕新增划痕", "归还时拍摄：屏幕新增划痕"]
    assert len(stored_files(media)) == 3
    entries = AuditEntry.objects.filter(action="property.photo").order_by("id")
    assert [e.object_id for e in entries] == [str(p["id"]) for p in photos]
    assert all(e.actor_id == city.station_officer.pk for e in entries)
    assert api.get(f"/api/v1/property/{item.pk}").json()["photos"] == photos
    # The older single-photo download gives the first one.
    first = b"".join(api.get(f"/api/v1/property/{item.pk}/photo").streaming_content)
    assert same_picture(first, picture("PNG", 1))


def test_adding_needs_at_least_one_photo(city, case, media):
    item = register(city, case)
    response = city.api(city.station_officer).post(f"/api/v1/property/{item.pk}/photos", {"caption": "x"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "photos"
    assert not ItemPhoto.objects.exists()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (SimpleUploadedFile("evil.png", EXE), "file_type"),  # a renamed executable
        (SimpleUploadedFile("scan.jpg", PNG), "extension"),  # content and name disagree
        (SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024)), "too_large"),
    ],
)
def test_one_bad_photo_among_good_ones_adds_nothing(city, case, media, bad, code):
    item = register(city, case, photos=[png(1)])
    before, files = written(), stored_files(media)
    response = city.api(city.station_officer).post(
        f"/api/v1/property/{item.pk}/photos", {"photos": [png(2), jpeg(3), bad]}
    )
    assert response.status_code == 400
    error = response.json()["detail"][0]
    assert (error["field"], error["code"]) == ("photos", code)
    assert "第 3 张" in error["message"]
    assert written() == before
    assert stored_files(media) == files


def test_no_file_is_left_when_storing_fails_halfway(city, case, media, monkeypatch):
    item = register(city, case)
    real = core_models.append_audit  # the Action base writes every entry through it
    calls = []

    def fail_on_second_photo(**kw):
        calls.append(kw["action"])
        if calls.count("property.photo") == 2:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(core_models, "append_audit", fail_on_second_photo)
    with pytest.raises(RuntimeError):
        AddItemPhoto(item=item, photos=[png(1), png(2), png(3)], by=city.station_officer).execute()
    assert not ItemPhoto.objects.exists()
    assert stored_files(media) == []


def test_an_item_holds_at_most_twenty_photos(city, case, media):
    item = register(city, case, photos=[png(n) for n in range(MAX_PHOTOS_PER_ITEM - 1)])
    with pytest.raises(ActionError) as caught:
        AddItemPhoto(item=item, photos=[png(1), png(2)], by=city.station_officer).execute()
    assert (caught.value.field, caught.value.code) == ("photos", "too_many")
    assert "已有 19 张" in caught.value.message
    AddItemPhoto(item=item, photos=[png(20)], by=city.station_officer).execute()
    response = city.api(city.station_officer).post(f"/api/v1/property/{item.pk}/photos", {"photos": [png(21)]})
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "too_many"
    assert item.photos.count() == MAX_PHOTOS_PER_ITEM
    assert len(stored_files(media)) == MAX_PHOTOS_PER_ITEM
    page = city.login(city.station_officer).get(f"/cases/{case.pk}/property/").content.decode()
    assert f'id="add-photos-{item.pk}"' not in page  # the form goes once the item is full


# --- who may see and add --------------------------------------------------------------------------


def test_another_station_can_neither_see_nor_add_photos(city, case, media):
    item = register(city, case, photos=[png(1)])
    photo = item.photos.get()
    outsider = city.api(city.outsider)
    for url in (
        f"/api/v1/property/{item.pk}/photos/{photo.pk}",
        f"/api/v1/property/{item.pk}/photo",
        f"/api/v1/property/{item.pk}",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/api/v1/property/{item.pk}/photos", {"photos": [png(2)]}).status_code == 404
    page = city.login(city.outsider)
    assert page.post(f"/cases/{case.pk}/property/photos/", {"item": item.pk, "photos": [png(3)]}).status_code == 404
    with pytest.raises(Denied):
        AddItemPhoto(item=item, photos=[png(4)], by=city.outsider).execute()
    assert item.photos.count() == 1
    assert len(stored_files(media)) == 1


def test_a_patrol_officer_of_the_station_sees_photos_but_cannot_add(city, case, media):
    item = register(city, case, photos=[png(1)])
    patrol = city.api(city.patrol_officer)
    assert patrol.get(f"/api/v1/property/{item.pk}/photos/{item.photos.get().pk}").status_code == 200
    assert patrol.post(f"/api/v1/property/{item.pk}/photos", {"photos": [png(2)]}).status_code == 403
    assert item.photos.count() == 1


def test_a_photo_is_served_only_under_its_own_item(city, case, media):
    first, second = register(city, case, photos=[png(1)]), register(city, case)
    photo = first.photos.get()
    api = city.api(city.station_officer)
    assert api.get(f"/api/v1/property/{second.pk}/photos/{photo.pk}").status_code == 404
    assert api.get(f"/api/v1/property/{first.pk}/photos/{photo.pk + 1000}").status_code == 404
    assert api.get(f"/api/v1/property/{second.pk}/photo").status_code == 404


def test_a_photo_missing_from_the_store_is_a_404_not_a_500(city, case, media):
    item = register(city, case, photos=[png(1)])
    for path in stored_files(media):
        path.unlink()
    api = city.api(city.station_officer)
    assert api.get(f"/api/v1/property/{item.pk}/photos/{item.photos.get().pk}").status_code == 404


# --- the case property page -------------------------------------------------------------------------


def test_the_page_registers_with_photos_and_shows_thumbnails(city, case, media):
    client = city.login(city.station_officer)
    response = client.post(
        f"/cases/{case.pk}/property/register/",
        {
            "kind": "electronics",
            "description": "手机",
            "quantity": "1",
            "unit": "部",
            "estimated_value": "800",
            "photos": [png(1), jpeg(2)],
        },
    )
    assert response.status_code == 302, response.content.decode()
    item = SeizedItem.objects.get()
    page = client.get(f"/cases/{case.pk}/property/").content.decode()
    for photo in item.photos.all():
        url = f"/api/v1/property/{item.pk}/photos/{photo.pk}"
        assert f'src="{url}"' in page
        assert client.get(url).status_code == 200  # the page's own session may fetch it
    assert f'id="add-photos-{item.pk}"' in page
    assert 'name="photos" multiple' in page


def test_the_page_adds_photos_and_names_the_field_when_one_is_bad(city, case, media):
    item = register(city, case)
    client = city.login(city.station_officer)
    url = f"/cases/{case.pk}/property/photos/"
    response = client.post(url, {"item": item.pk, "photos": [png(1), png(2)], "caption": "补拍"})
    assert response.status_code == 302
    assert [p.caption for p in item.photos.all()] == ["补拍", "补拍"]
    response = client.post(url, {"item": item.pk, "photos": [png(3), SimpleUploadedFile("x.jpg", EXE)]})
    assert response.status_code == 400
    assert 'data-field="photos"' in response.content.decode()
    assert item.photos.count() == 2
    assert len(stored_files(media)) == 2


def test_the_page_costs_the_same_queries_for_more_items_and_photos(city, case, media):
    client = city.login(city.station_officer)
    url = f"/cases/{case.pk}/property/"
    register(city, case, photos=[png(1)])
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        register(city, case, photos=[png(n), jpeg(n)])
    assert count() == few
