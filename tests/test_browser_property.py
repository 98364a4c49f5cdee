"""End-to-end: an officer registers a seized item with two photos, sees both thumbnails (loaded
through the scoped API with the page's own session), then adds one more."""

import io

import pytest

from anmin.cases.actions import OpenCase
from anmin.property.models import SeizedItem
from tests.browser import logged_in_page, shot

pytestmark = pytest.mark.browser


def picture(colour: str, fmt: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), colour)
    ImageDraw.Draw(image).rectangle((100, 70, 220, 170), outline="white", width=8)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def loaded_thumbnails(page, item: SeizedItem) -> int:
    """How many thumbnails of the item the browser actually decoded (a refused download shows none)."""
    return page.eval_on_selector_all(
        f"#photos-{item.pk} img", "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length"
    )


def test_an_officer_registers_an_item_with_two_photos_and_adds_a_third(city, asgi_server, browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    case = OpenCase(by=city.station_officer, kind="criminal", title="盗窃电动车案").execute()
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/cases/{case.pk}/property/")
    page.click("details:has(#register-form) > summary")
    page.select_option("#kind", "vehicle")
    page.fill("#description", "红色电动自行车一辆")
    page.fill("#estimated_value", "1200")
    page.set_input_files(
        "#photos",
        [
            {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": picture("#b03030", "JPEG")},
            {"name": "side.png", "mimeType": "image/png", "buffer": picture("#3060b0", "PNG")},
        ],
    )
    page.click("#register")
    page.wait_for_selector("text=已登记")
    item = SeizedItem.objects.get()
    assert item.photos.count() == 2
    page.wait_for_function(f"() => document.querySelectorAll('#photos-{item.pk} img').length == 2")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#photos-{item.pk} img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded_thumbnails(page, item) == 2

    page.click(f"#add-photos-{item.pk}")
    page.set_input_files(
        f"#photos-input-{item.pk}",
        [{"name": "seal.png", "mimeType": "image/png", "buffer": picture("#30a060", "PNG")}],
    )
    page.click(f"#upload-photos-{item.pk}")
    page.wait_for_selector("text=添加 1 张照片")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#photos-{item.pk} img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length == 3"
    )
    assert item.photos.count() == 3
    shot(page, "property-photos")
