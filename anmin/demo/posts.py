"""The demo city's 警务站 and 检查站: 达标 standards, rings, rosters for the last four weeks and the
next week, measured 上岗/下岗 with a few late and missed shifts, and checkpoint checks (衡水 plates 冀T,
a few from elsewhere) with a handful of wanted-list hits, each handled by the officer."""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

from anmin.demo.data import TAOCHENG_CENTRE
from anmin.geo.coords import distance_m
from anmin.geo.models import Post
from anmin.org.models import Officer, Organization
from anmin.posts.models import (
    DEFAULT_PATTERN,
    ROSTERED_KINDS,
    CheckRecord,
    DutyShift,
    PostRing,
    PostStandard,
    WantedEntry,
    parse_pattern,
)
from anmin.reports.plates import clean_plate

WEEKS_BACK = 4
SEED = 20261207
#: 衡水 (冀T) first; then neighbours on the national roads: 石家庄 冀A, 沧州 冀J, 邢台 冀E, 德州 鲁N, 北京, 天津.
OTHER_OFFICES = ["冀A", "冀J", "冀E", "鲁N", "京", "津"]
SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
#: 衡水 districts and counties (GB/T 2260) for the ID numbers of people checked.
DIVISIONS = ["131102", "131103", "131121", "131122", "131126", "131127", "131182", "130102", "371402"]
HANDLINGS = [
    (CheckRecord.Handling.EXCLUDED, "核对车架号与布控车辆不符，系套牌受害车辆，放行并告知车主"),
    (CheckRecord.Handling.VEHICLE_HELD, "核实为布控车辆，依法扣留，移交刑侦大队"),
    (CheckRecord.Handling.HANDED_OVER, "人证核验一致，带离移交办案单位"),
    (CheckRecord.Handling.EXCLUDED, "同名同号核查，系身份证被冒用，已排除"),
]


def _id_number(rng: random.Random) -> str:
    born = date(1955, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    body = f"{rng.choice(DIVISIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    return body + "10X98765432"[total % 11]


def _plate(rng: random.Random) -> str:
    office = "冀T" if rng.random() < 0.85 else rng.choice(OTHER_OFFICES)
    if len(office) == 1:
        office += rng.choice("ABCEFGHJKLMN")
    serial = [str(rng.randrange(10)) for _ in range(5)]
    for i in rng.sample(range(5), rng.choice([0, 1, 1, 2])):
        serial[i] = rng.choice(SERIAL_LETTERS)
    return clean_plate(office + "".join(serial))


def _ring(post: Post) -> int:
    if post.kind == Post.Kind.CHECKPOINT:
        return PostRing.Ring.GATEWAY
    km = distance_m(post.lat, post.lon, *TAOCHENG_CENTRE) / 1000
    return PostRing.Ring.CORE if km < 1.5 else PostRing.Ring.URBAN if km < 2.75 else PostRing.Ring.OUTER


def build(now: datetime) -> str:
    """Builds this part of the demo into the new demo city; returns one line for the log ("" for none)."""
    posts = list(Post.objects.filter(kind__in=ROSTERED_KINDS).select_related("organization").order_by("kind", "name"))
    if not posts:
        return ""
    rng = random.Random(SEED)
    PostStandard.objects.bulk_create(
        [
            PostStandard(
                post_kind=Post.Kind.STREET, manned_hours_per_day=24, radius_m=800, shift_pattern=DEFAULT_PATTERN
            ),
            PostStandard(
                post_kind=Post.Kind.CHECKPOINT,
                manned_hours_per_day=24,
                min_checks_per_shift=10,
                radius_m=1500,
                shift_pattern=DEFAULT_PATTERN,
            ),
        ]
    )
    PostRing.objects.bulk_create([PostRing(post=p, ring=_ring(p)) for p in posts])

    # Who may stand at a post: the officers of its station (a 警务站) or of the 巡警 detachment (a checkpoint).
    officers_by_path: dict[str, list[int]] = defaultdict(list)
    for pk, path in Officer.objects.filter(is_active=True).values_list("pk", "organization__path"):
        if path:
            officers_by_path[path].append(pk)
    roots = {}
    for post in posts:
        root = post.organization.station() or post.organization
        roots[post.pk] = sorted(
            pk for path, pks in officers_by_path.items() if path.startswith(root.path) for pk in pks
        )

    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS_BACK)
    days = (WEEKS_BACK + 2) * 7  # four weeks back, this week, next week
    pattern = parse_pattern(DEFAULT_PATTERN)
    shifts: list[DutyShift] = []
    crews: list[list[int]] = []
    auxiliaries = ["王磊、刘洋", "张伟、李娜", "赵军、孙浩", "周强、吴敏", "郑凯、冯涛"]
    for post in posts:
        pool = roots[post.pk]
        for offset in range(days):
            day = first + timedelta(days=offset)
            for start, minutes in pattern:
                begins = timezone.make_aware(datetime.combine(day, start), tz)
                ends = begins + timedelta(minutes=minutes)
                crew = rng.sample(pool, min(2, len(pool))) if pool else []
                shift = DutyShift(
                    post=post,
                    starts_at=begins,
                    ends_at=ends,
                    leader_id=crew[0] if crew else None,
                    auxiliaries=rng.choice(auxiliaries),
                )
                if begins <= now:
                    roll = rng.random()
                    if roll < 0.03 and ends <= now:
                        pass  # 缺岗: nobody took over
                    else:
                        late = rng.randint(20, 70) if roll < 0.09 else rng.randint(-10, 8)
                        shift.on_duty_at = begins + timedelta(minutes=late)
                        if ends <= now:
                            early = rng.randint(60, 150) if rng.random() < 0.03 else rng.randint(-5, 10)
                            shift.off_duty_at = ends - timedelta(minutes=early)
                shifts.append(shift)
                crews.append(crew)
    DutyShift.objects.bulk_create(shifts, batch_size=2000)
    through = DutyShift.officers.through
    through.objects.bulk_create(
        [through(dutyshift_id=s.pk, officer_id=o) for s, crew in zip(shifts, crews, strict=True) for o in crew],
        batch_size=5000,
    )

    bureau = Organization.objects.filter(parent__isnull=True).first()
    wanted_vehicles = [_plate(rng) for _ in range(4)]
    wanted_people = [_id_number(rng) for _ in range(3)]
    reasons_v = ["涉嫌盗窃车辆", "肇事逃逸车辆", "涉嫌套牌", "涉嫌运输毒品车辆"]
    reasons_p = ["网上逃犯（诈骗）", "网上逃犯（故意伤害）", "网上逃犯（盗窃）"]
    entries = [
        WantedEntry(kind=WantedEntry.Kind.VEHICLE, plate=p, reason=r, issuing_unit=bureau)
        for p, r in zip(wanted_vehicles, reasons_v, strict=True)
    ] + [
        WantedEntry(kind=WantedEntry.Kind.PERSON, id_number=n, reason=r, issuing_unit=bureau)
        for n, r in zip(wanted_people, reasons_p, strict=True)
    ]
    WantedEntry.objects.bulk_create(entries)

    checks: list[CheckRecord] = []
    manned = [s for s in shifts if s.post.kind == Post.Kind.CHECKPOINT and s.on_duty_at is not None]
    for shift in manned:
        end = shift.off_duty_at or now
        span = max(60, int((end - shift.on_duty_at).total_seconds()))
        crew = [shift.leader_id] if shift.leader_id else roots[shift.post_id][:1]
        if not crew:
            continue
        # Most shifts make 10–22 checks; a few fall short of the standard's 10.
        count = rng.randint(4, 9) if rng.random() < 0.1 else rng.randint(10, 22)
        for _ in range(count):
            when = shift.on_duty_at + timedelta(seconds=rng.randrange(span))
            vehicle = rng.random() < 0.8
            checks.append(
                CheckRecord(
                    shift=shift,
                    checked_at=when,
                    officer_id=crew[0],
                    plate=_plate(rng) if vehicle else "",
                    vehicle_type=rng.choice(["car", "car", "car", "truck", "large", "motorcycle"]) if vehicle else "",
                    id_number=_id_number(rng) if not vehicle or rng.random() < 0.3 else "",
                    result=rng.choice(["cleared"] * 12 + ["warned", "fined"]),
                )
            )
    # The hits: checks that matched an entry, all but the newest handled by the officer with a note.
    past = sorted((c for c in checks if c.checked_at < now - timedelta(hours=2)), key=lambda c: c.checked_at)
    hits = rng.sample(past, min(len(HANDLINGS) + 2, len(past)))
    for i, record in enumerate(sorted(hits, key=lambda c: c.checked_at)):
        entry = entries[i % len(entries)]
        record.wanted = entry
        if entry.kind == WantedEntry.Kind.VEHICLE:
            record.plate, record.vehicle_type = entry.plate, record.vehicle_type or "car"
        else:
            record.id_number = entry.id_number
        if i < len(hits) - 1:
            handling, note = HANDLINGS[i % len(HANDLINGS)]
            record.hit_handling, record.hit_note = handling, note
            record.hit_handled_at = record.checked_at + timedelta(minutes=rng.randint(5, 40))
            record.hit_handled_by_id = record.officer_id
            record.result = CheckRecord.Result.HANDED_OVER if handling != "excluded" else CheckRecord.Result.CLEARED
    CheckRecord.objects.bulk_create(checks, batch_size=2000)
    missed = sum(1 for s in shifts if s.on_duty_at is None and s.ends_at <= now)
    return (
        f"警务站与检查站：{len(posts)} 个点位排班 {len(shifts)} 个班次（缺岗 {missed} 班），"
        f"检查站核查 {len(checks)} 次，布控比中 {len(hits)} 次"
    )
