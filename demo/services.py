"""Demo data for `make run`: three pilot cities, rosters, confirmed levels, a user per role.

Deterministic (fixed random seed) and loaded once: a second call finds the demo cities and stops.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Role, User
from assessments.models import Assessment, Method, Purpose, Source, State
from cities import uscc
from cities.models import (
    CityTarget,
    Enterprise,
    PilotBatch,
    PilotCity,
    Province,
    QualityTier,
    SizeClass,
    SubIndustry,
    TargetMetric,
    add_months,
)

DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 - printed to the developer by `make run`; demo only

CITIES = [
    # code, name, province short name, batch, city type, plan approved (months before the day the
    # demo is loaded: the demo lives in the present — NB's two-year pilot ends within three months,
    # HHHT is mid-pilot with a year of trend and a projection, LY has just begun), region code,
    # sub-industries
    (
        "NB",
        "宁波市",
        "浙江",
        2023,
        "separately_planned",
        22,
        "330200",
        [("MOLD", "模具"), ("AUTO", "汽车零部件"), ("TEXT", "纺织服装"), ("ELEC", "电子元器件")],
    ),
    (
        "HHHT",
        "呼和浩特市",
        "内蒙古",
        2024,
        "provincial_capital",
        12,
        "150100",
        [("FOOD", "特色食品"), ("TEXT", "纺织服装"), ("BIO", "生物医药"), ("MAT", "新材料")],
    ),
    (
        "LY",
        "洛阳市",
        "河南",
        2025,
        "prefecture",
        5,
        "410300",
        [("BEAR", "轴承"), ("AGRI", "农机装备"), ("MAT", "新材料")],
    ),
]
ENTERPRISES_PER_CITY = 100
DISTRICTS = ["高新区", "经开区", "城关区", "新城区", "工业园区"]
NAME_PARTS = ["华", "瑞", "恒", "鑫", "泰", "宏", "联", "创", "德", "盛", "嘉", "丰", "远", "诚"]
SUFFIXES = ["科技有限公司", "制造有限公司", "实业有限公司", "股份有限公司", "机械有限公司"]
TIERS = [
    (QualityTier.NONE, 62),
    (QualityTier.INNOVATIVE, 18),
    (QualityTier.PROVINCIAL_SRDI, 15),
    (QualityTier.LITTLE_GIANT, 5),
]
SIZES = [(SizeClass.MEDIUM, 25), (SizeClass.SMALL, 50), (SizeClass.MICRO, 25)]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


@dataclass(frozen=True)
class DemoResult:
    created: bool
    cities: int
    enterprises: int
    logins: list[DemoLogin]


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return str(rng.choices(values, weights=weights)[0])


def _logins() -> list[DemoLogin]:
    users = User.objects.filter(username__startswith="demo_").select_related("city", "enterprise")
    return [
        DemoLogin(
            u.username,
            u.get_role_display(),
            (u.city.name if u.city else "") or (u.enterprise.name if u.enterprise else "全国"),
        )
        for u in users.order_by("id")
    ]


@transaction.atomic
def demo_seed() -> DemoResult:
    if PilotCity.objects.filter(code__in=[c[0] for c in CITIES]).exists():
        return DemoResult(False, 0, 0, _logins())
    rng = random.Random(2026)
    enterprises: list[Enterprise] = []
    serial = 0
    today = timezone.localdate()
    for code, name, province, year, city_type, months_ago, region_code, subs in CITIES:
        approved = add_months(today, -months_ago)
        city = PilotCity.objects.create(
            code=code,
            name=name,
            province=Province.objects.get(short_name=province),
            batch=PilotBatch.objects.get(year=year),
            city_type=city_type,
            plan_approved_on=approved,
        )
        sub_rows = [SubIndustry.objects.create(city=city, code=c, name=n) for c, n in subs]
        for i in range(ENTERPRISES_PER_CITY):
            serial += 1
            sub = sub_rows[i % len(sub_rows)]
            above = rng.random() < 0.55
            tier = _pick(rng, TIERS)
            enterprises.append(
                Enterprise(
                    uscc=uscc.synthetic(serial, region_code=region_code),
                    name=f"{name[:-1]}{''.join(rng.sample(NAME_PARTS, 2))}{sub.name}"
                    f"{rng.choice(SUFFIXES)}",
                    city=city,
                    sub_industry=sub,
                    district=rng.choice(DISTRICTS),
                    above_scale=above,
                    quality_tier=tier,
                    size_class=SizeClass.MEDIUM
                    if above and rng.random() < 0.4
                    else _pick(rng, SIZES),
                )
            )
        end = city.pilot_end_date
        assert end is not None
        CityTarget.objects.create(
            city=city, metric=TargetMetric.LEVEL2_ENTERPRISES, value=Decimal(70), due_date=end
        )
        CityTarget.objects.create(
            city=city, metric=TargetMetric.LEVEL2_SHARE, value=Decimal(90), due_date=end
        )
    created = bulk_create_with_history(enterprises, Enterprise, batch_size=500)
    _seed_levels(rng, created)
    _seed_users()
    return DemoResult(True, len(CITIES), len(created), _logins())


def _seed_levels(rng: random.Random, enterprises: list[Enterprise]) -> None:
    """Confirmed on-site baselines for most enterprises, post assessments for some."""
    now = timezone.now()
    today = timezone.localdate()
    rows: list[Assessment] = []
    for e in Enterprise.objects.filter(pk__in=[x.pk for x in enterprises]).select_related("city"):
        approved = e.city.plan_approved_on
        assert approved is not None
        if rng.random() < 0.15:
            continue  # never assessed
        base_day = min(today, approved + dt.timedelta(days=rng.randint(20, 120)))
        base_level = _pick(rng, [("0", 10), ("1", 45), ("2", 35), ("3", 10)])
        rows.append(_level(e, Purpose.BASELINE, base_day, int(base_level), now))
        if rng.random() < 0.5:
            post_day = min(today, base_day + dt.timedelta(days=rng.randint(90, 360)))
            post_level = min(4, int(base_level) + rng.choice([0, 1, 1, 2]))
            rows.append(_level(e, Purpose.POST, post_day, post_level, now))
    bulk_create_with_history(rows, Assessment, batch_size=500)


def _level(e: Enterprise, purpose: str, day: dt.date, level: int, now: dt.datetime) -> Assessment:
    return Assessment(
        enterprise=e,
        purpose=purpose,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        source=Source.IMPORT,
        level=level,
        assessed_on=day,
        confirmed_at=now,
    )


def _seed_users() -> None:
    hhht = PilotCity.objects.get(code="HHHT")
    first = Enterprise.objects.filter(city=hhht).order_by("uscc").first()
    specs: list[dict[str, object]] = [
        {"username": "demo_admin", "role": Role.ADMIN, "is_staff": True, "is_superuser": True},
        {"username": "demo_ministry", "role": Role.MINISTRY},
        {"username": "demo_city", "role": Role.CITY_OFFICIAL, "city": hhht},
        {"username": "demo_assessor", "role": Role.ASSESSOR, "city": hhht},
        {"username": "demo_enterprise", "role": Role.ENTERPRISE, "enterprise": first},
    ]
    names = {
        "demo_admin": "系统管理员",
        "demo_ministry": "部委用户",
        "demo_city": "呼和浩特市工信局",
        "demo_assessor": "现场评定员",
        "demo_enterprise": "企业填报人",
    }
    for spec in specs:
        user = User(display_name=names[str(spec["username"])], **spec)  # type: ignore[arg-type]
        user.set_password(DEMO_PASSWORD)
        user.full_clean(exclude=["password"])
        user.save()
