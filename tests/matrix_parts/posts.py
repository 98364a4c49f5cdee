"""The permission matrix's entries for the posts app's routes, and the objects of station A1 they name."""

from tests.matrix import API, API_OBJECT, OBJECT, STAFF, r  # noqa: F401 - the kinds entries use

HTML: dict = {
    # 警务站与检查站: the posts of the officer's subtree; the wanted lists are leaders' and command's
    "posts/": r(STAFF),
    "posts/<int:pk>/": r(OBJECT, pk="checkpoint"),
    "posts/<int:pk>/roster/": r(OBJECT, pk="checkpoint"),
    "posts/<int:pk>/report/": r(OBJECT, pk="checkpoint"),
    "posts/shifts/<int:pk>/": r(OBJECT, pk="post_shift"),
    "posts/shifts/<int:pk>/change/": r(OBJECT, pk="post_shift"),
    "posts/shifts/<int:pk>/on-duty/": r(OBJECT, pk="post_shift"),
    "posts/shifts/<int:pk>/off-duty/": r(OBJECT, pk="post_shift"),
    "posts/checks/<int:pk>/handle/": r(OBJECT, pk="check_record"),
    "posts/wanted/": r(STAFF, owner="leader"),
    "posts/wanted/<int:pk>/withdraw/": r(OBJECT, pk="wanted_entry", owner="leader"),
}
API_ROUTES: dict = {
    "GET /posts/{post_id}/rosters": r(API_OBJECT, post_id="checkpoint"),
    "GET /posts/shifts/{shift_id}/checks": r(API_OBJECT, shift_id="post_shift"),
    "POST /posts/shifts/{shift_id}/checks": r(API_OBJECT, shift_id="post_shift"),
}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name: a checkpoint of
    河西派出所 (posts belong to the geo app, which has no action for them), today's roster there, a
    check in the current shift that hit a wanted vehicle, and that wanted-list entry."""
    from datetime import timedelta

    from django.utils import timezone

    from anmin.geo.models import Post
    from anmin.posts.actions import CreateWeekRoster, RecordCheck, SaveWantedEntry
    from anmin.posts.models import DutyShift
    from tests.conftest import A1_POINT

    post = Post.objects.create(
        name="河西检查站", kind=Post.Kind.CHECKPOINT, organization=city.station_a1, lat=A1_POINT[0], lon=A1_POINT[1]
    )
    now = timezone.now()
    CreateWeekRoster(
        post=post, by=city.station_officer, week_start=timezone.localdate(now) - timedelta(days=1), days=3
    ).execute()
    shift = DutyShift.objects.get(post=post, starts_at__lte=now, ends_at__gt=now)
    entry = SaveWantedEntry(
        by=city.leader, kind="vehicle", plate="冀T9Z123", reason="涉嫌盗窃车辆", issuing_unit=city.bureau
    ).execute()
    record = RecordCheck(shift=shift, by=city.station_officer, plate="冀T9Z123", vehicle_type="car", at=now).execute()
    return {"checkpoint": post, "post_shift": shift, "check_record": record, "wanted_entry": entry}
