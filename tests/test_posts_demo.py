"""The demo's posts: every 警务站 and 检查站 rostered, measured 上岗/下岗 with a few misses, checks
with valid plates and a few handled hits — built in seconds."""

import time

import pytest
from django.db.models import Count
from django.utils import timezone

from anmin.demo import posts as demo_posts
from anmin.demo.builder import build_demo_city
from anmin.geo.models import Post
from anmin.posts.compliance import compliance
from anmin.posts.models import CheckRecord, DutyShift, PostRing
from anmin.reports.plates import clean_plate
from tests.conftest import ensure_code_tables

pytestmark = pytest.mark.django_db


def test_the_demo_rosters_every_post_with_measured_duty_and_checks(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_code_tables()
    build_demo_city(days=2)
    now = timezone.now()
    started = time.monotonic()
    line = demo_posts.build(now)
    elapsed = time.monotonic() - started
    print(f"{line}（{elapsed:.1f} 秒）")
    assert "警务站与检查站" in line
    assert elapsed < 30, elapsed
    posts = Post.objects.filter(kind__in=[Post.Kind.STREET, Post.Kind.CHECKPOINT])
    assert posts.count() == 41
    assert set(PostRing.objects.values_list("ring", flat=True)) == {1, 2, 3, 4}
    per_post = set(DutyShift.objects.values("post").annotate(n=Count("id")).values_list("n", flat=True))
    assert per_post == {6 * 7 * 3}
    past = DutyShift.objects.filter(ends_at__lte=now)
    assert past.filter(on_duty_at__isnull=True).exists()  # a few missed
    assert past.filter(on_duty_at__isnull=False).count() > 0.9 * past.count()
    assert not DutyShift.objects.filter(starts_at__gt=now, on_duty_at__isnull=False).exists()
    checks = CheckRecord.objects.all()
    assert checks.count() > 1000
    plates = list(checks.exclude(plate="").values_list("plate", flat=True)[:300])
    assert all(clean_plate(p) == p for p in plates)
    assert sum(p.startswith("冀T") for p in plates) > 0.7 * len(plates)
    hits = checks.filter(wanted__isnull=False)
    assert hits.count() >= 3 and hits.exclude(hit_handling="").count() == hits.count() - 1
    checkpoint = posts.filter(kind=Post.Kind.CHECKPOINT).first()
    report = compliance(checkpoint, timezone.localdate(now) - timezone.timedelta(days=27), timezone.localdate(now))
    assert 0.8 < report.visibility_rate < 1.0
