"""Demo data for `make run`: three pilot cities with districts, rosters, confirmed levels, a demo
provider, a user per role, and
in the mid-pilot city online questionnaires that score just below the rule's level.

Deterministic (fixed random seed) and loaded once: a second call finds the demo cities and stops.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Role, User
from assessments import indicators, scoring
from assessments.models import Assessment, Method, Purpose, Source, State
from assessments.selectors import current_pledge_text, with_current_level
from cities import uscc
from cities.models import (
    CityTarget,
    District,
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
from oversight.selectors.compliance import counted_q, rule_for
from providers.models import Provider

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


def _scope_text(u: User) -> str:
    if u.district is not None and u.city is not None:
        return f"{u.city.name}{u.district.name}"
    if u.city is not None:
        return u.city.name
    if u.enterprise is not None:
        return u.enterprise.name
    if u.provider is not None:
        return u.provider.name
    if u.province is not None:
        return u.province.name
    return "全国"


def _logins() -> list[DemoLogin]:
    users = User.objects.filter(username__startswith="demo_").select_related(
        "city", "enterprise", "district", "provider", "province"
    )
    return [
        DemoLogin(u.username, u.get_role_display(), _scope_text(u)) for u in users.order_by("id")
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
        district_rows = [
            District.objects.create(city=city, code=f"D{n:03d}", name=district_name)
            for n, district_name in enumerate(DISTRICTS, start=1)
        ]
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
                    district=rng.choice(district_rows),
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
    _seed_near_the_line(rng)
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


DEMO_PROVIDER = ("呼和浩特草原云数字科技有限公司", "integrator")


def _seed_users() -> None:
    hhht = PilotCity.objects.get(code="HHHT")
    first = Enterprise.objects.filter(city=hhht).order_by("uscc").first()
    # The district official's district: the one the first enterprise is in, so that the demo
    # enterprise's pages are theirs too.
    district = first.district if first is not None and first.district is not None else None
    provider = Provider.objects.create(
        uscc=uscc.synthetic(900_001, region_code="150100"),
        name=DEMO_PROVIDER[0],
        category=DEMO_PROVIDER[1],
        contact_name="王经理",
    )
    specs: list[dict[str, Any]] = [
        {"username": "demo_admin", "role": Role.ADMIN, "is_staff": True, "is_superuser": True},
        {"username": "demo_ministry", "role": Role.MINISTRY},
        {"username": "demo_city", "role": Role.CITY_OFFICIAL, "city": hhht},
        {"username": "demo_assessor", "role": Role.ASSESSOR, "city": hhht},
        {"username": "demo_enterprise", "role": Role.ENTERPRISE, "enterprise": first},
        {
            "username": "demo_district",
            "role": Role.DISTRICT_OFFICIAL,
            "city": hhht,
            "district": district,
        },
        {"username": "demo_provider", "role": Role.PROVIDER, "provider": provider},
        {"username": "demo_province", "role": Role.PROVINCE_OFFICIAL, "province": hhht.province},
    ]
    names = {
        "demo_admin": "系统管理员",
        "demo_ministry": "部委用户",
        "demo_city": "呼和浩特市工信局",
        "demo_assessor": "现场评定员",
        "demo_enterprise": "企业填报人",
        "demo_district": f"{district.name if district else ''}工信局",
        "demo_provider": "服务商联系人",
        "demo_province": "内蒙古自治区工信厅",
    }
    for spec in specs:
        user = User(display_name=names[str(spec["username"])], **spec)  # type: ignore[arg-type]
        user.set_password(DEMO_PASSWORD)
        user.full_clean(exclude=["password"])
        user.save()


# --- "closest to the line": online questionnaires just below the rule's level ----------------

NEAR_CITY = "HHHT"  # the mid-pilot city, whose dashboard the demo logins open
NEAR_MAX = 40  # at most this many enterprises get a questionnaire
NEAR_POINTS_BELOW = Decimal(6)  # a points-short questionnaire scores within this of the gate


def _seed_near_the_line(rng: random.Random) -> None:
    """Submitted self-assessments with answers, scored by the real questionnaire, for the
    mid-pilot city's counted enterprises below the rule's level; about a third of them were
    checked on site and confirmed with the same answers. Their levels stay below the rule's, so
    the city's compliance figures and trend do not change."""
    city = PilotCity.objects.select_related("batch").get(code=NEAR_CITY)
    rule = rule_for(city.batch)
    revision = indicators.current_revision(indicators.default_version_code())
    pledge = current_pledge_text()
    if revision is None or pledge is None:
        return  # no questionnaire to answer (never after the migrations)
    indicator = indicators.indicator_for(revision)
    target = rule.min_level
    gate = indicator.gate(target)
    below: list[Enterprise] = list(
        with_current_level(Enterprise.objects.filter(city=city).filter(counted_q(rule)))
        .filter(Q(current_level__lt=target) | Q(current_level__isnull=True))
        .order_by("uscc")[:NEAR_MAX]
    )
    assessor = User.objects.filter(username="demo_assessor").first()
    today = timezone.localdate()
    now = timezone.now()
    rows: list[Assessment] = []
    confirmed: list[tuple[int, Assessment]] = []  # (index of the self-assessment, on-site)
    for e in below:
        scenes_short = rng.random() < 0.25
        answers, scenes = _near_document(rng, indicator, gate, scenes_short=scenes_short)
        result = scoring.score(answers, scenes, {}, indicator)
        assert result.level < target, "a demo questionnaire must stay below the rule's level"
        # After the enterprise's latest confirmed level, so that it is the latest scored one.
        submitted_on = today - dt.timedelta(days=rng.randint(3, 60))
        last_confirmed: dt.date | None = e.current_level_on  # type: ignore[attr-defined]
        if last_confirmed is not None:
            submitted_on = max(submitted_on, min(today, last_confirmed + dt.timedelta(days=1)))
        rows.append(
            _scored(
                result,
                enterprise=e,
                purpose=Purpose.SELF_CHECK,
                method=Method.SELF,
                state=State.SUBMITTED,
                source=Source.ONLINE,
                revision=revision,
                answers=answers,
                scenes=scenes,
                assessed_on=submitted_on,
                submitted_at=now,
                pledge_signer=rng.choice(["张伟", "王芳", "李强", "刘洋", "陈静"]),
                pledge_title=rng.choice(["总经理", "董事长", "信息化负责人"]),
                pledged_at=now,
                pledge_text=pledge,
            )
        )
        # Checked on site a few days later and confirmed as answered (a baseline exists).
        if e.current_level is not None and rng.random() < 0.35:  # type: ignore[attr-defined]
            confirmed.append(
                (
                    len(rows) - 1,
                    _scored(
                        result,
                        enterprise=e,
                        purpose=Purpose.POST,
                        method=Method.ONSITE,
                        state=State.CONFIRMED,
                        source=Source.ONLINE,
                        revision=revision,
                        answers=answers,
                        scenes=scenes,
                        assessed_on=min(today, submitted_on + dt.timedelta(days=rng.randint(1, 5))),
                        submitted_at=now,
                        confirmed_at=now,
                        confirmed_by=assessor,
                    ),
                )
            )
    created = bulk_create_with_history(rows, Assessment, batch_size=500)
    for index, onsite in confirmed:
        onsite.based_on = created[index]
    bulk_create_with_history([a for _, a in confirmed], Assessment, batch_size=500)


def _scored(result: scoring.Result, **fields: object) -> Assessment:
    """An assessment carrying its questionnaire's score, as submitting or confirming stores it."""
    return Assessment(
        level=result.level,
        total_score=result.total,
        foundation_score=result.dimensions["foundation"],
        management_score=result.dimensions["management"],
        outcomes_score=result.dimensions["outcomes"],
        result=scoring.result_to_json(result),
        **fields,  # type: ignore[arg-type]
    )


def _near_document(
    rng: random.Random, indicator: scoring.Indicator, gate: scoring.Gate, *, scenes_short: bool
) -> tuple[dict[str, Any], dict[str, int]]:
    """Answers and scene ratings just below `gate`: either a few points short with the gate's
    scenes in place, or the points reached with one scene condition short by one."""
    scenes = _near_scenes(rng, indicator, gate, short=scenes_short)
    # Points-short: [gate - NEAR_POINTS_BELOW, gate); scene-short: [gate, gate + NEAR_…).
    low = gate.min_score if scenes_short else gate.min_score - NEAR_POINTS_BELOW
    high = low + NEAR_POINTS_BELOW
    # Start anywhere, then move one answer one step at a time (up when too low, down when too
    # high) until the real score lands in [low, high): every step is smaller than the band.
    answers: dict[str, Any] = {}
    for q in indicator.questions:
        answers[q.code] = _step(rng, q, _lowest(q), up=True, times=rng.randint(0, 3))
    for _ in range(500):
        total = scoring.score(answers, scenes, {}, indicator).total
        if low <= total < high:
            return answers, scenes
        up = total < low
        q = rng.choice([q for q in indicator.questions if _can_step(q, answers[q.code], up)])
        answers[q.code] = _step(rng, q, answers[q.code], up)
    raise AssertionError("demo answers did not converge")  # pragma: no cover


def _lowest(q: scoring.Question) -> Any:
    low = min(q.options, key=lambda o: o.points)
    return [low.code] if q.kind == "multi" else low.code


def _can_step(q: scoring.Question, answer: Any, up: bool) -> bool:
    if q.kind == "single":
        ordered = sorted(q.options, key=lambda o: o.points)
        index = [o.code for o in ordered].index(str(answer))
        return index < len(ordered) - 1 if up else index > 0
    exclusive = q.exclusive_option
    chosen = [c for c in answer if not exclusive or c != exclusive.code]
    if up:
        return any(not o.exclusive and o.code not in chosen for o in q.options)
    return bool(chosen) and (exclusive is not None or len(chosen) > 1)


def _step(rng: random.Random, q: scoring.Question, answer: Any, up: bool, times: int = 1) -> Any:
    """`answer` moved `times` steps up or down: a single to the next option by points, a multi
    one option ticked or cleared (its exclusive "none of these" when nothing is left)."""
    for _ in range(times):
        if q.kind == "single":
            ordered = sorted(q.options, key=lambda o: o.points)
            codes = [o.code for o in ordered]
            i = codes.index(str(answer)) + (1 if up else -1)
            answer = codes[min(max(i, 0), len(codes) - 1)]
            continue
        exclusive = q.exclusive_option
        chosen = [c for c in answer if not exclusive or c != exclusive.code]
        if up:
            free = [o.code for o in q.options if not o.exclusive and o.code not in chosen]
            if free:
                chosen.append(rng.choice(free))
        elif chosen and (exclusive is not None or len(chosen) > 1):
            chosen.remove(rng.choice(chosen))
        order = [o.code for o in q.options]
        if not chosen:
            answer = [exclusive.code] if exclusive else []
        else:
            answer = sorted(chosen, key=order.index)
    return answer


def _near_scenes(
    rng: random.Random, indicator: scoring.Indicator, gate: scoring.Gate, *, short: bool
) -> dict[str, int]:
    """Scene ratings meeting `gate`'s two scene conditions, or (`short`) missing one of them by
    one scene; the scenes below the gate's level sit one level under it, so the level below is
    reached."""
    target = gate.level
    constraint = [s.code for s in indicator.scenes if s.constraint]
    guidance = [s.code for s in indicator.scenes if not s.constraint]
    rng.shuffle(constraint)
    rng.shuffle(guidance)
    n_constraint = gate.min_constraint_scenes + rng.randint(0, 2)
    n_all = max(gate.min_scenes + rng.randint(0, 2), n_constraint)
    if short and rng.random() < 0.5:
        n_constraint = gate.min_constraint_scenes - 1
        n_all = max(n_all, gate.min_scenes)
    elif short:
        n_all = gate.min_scenes - 1
        n_constraint = min(n_constraint, n_all)
    at = set(constraint[:n_constraint]) | set(guidance[: max(0, n_all - n_constraint)])
    return {
        s.code: (
            min(indicator.max_level, target + (rng.random() < 0.2))
            if s.code in at
            else max(0, target - 1)
        )
        for s in indicator.scenes
    }
