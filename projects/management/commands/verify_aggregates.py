"""`manage.py verify_aggregates [--fix]`: check the kept current state against history.

1. Recomputes every enterprise's current confirmed level and its date from the confirmed
   assessments (docs/rules.md "Kept current level") and compares them with the kept columns
   `Enterprise.kept_level` / `kept_level_on`, in one statement.
2. Recounts the roster counters (`RosterCount`) from the roster, in one GROUP BY, and compares
   every key.
3. Recounts the project counters (`ProjectCount` and `ProjectDayCount`, docs/rules.md "Kept
   project counters") from the projects, one GROUP BY each, and compares every key and
   column; and counts the projects with a stage or outcome date after today, which those
   counters would count too early (no write path accepts one; a difference all the same).
4. Looks every project's on-site baseline and after level up again from the assessments, as the
   scorecard's history path does today, and compares them with the kept
   `Project.kept_baseline_level` / `kept_after_level` (docs/rules.md "Kept project levels"), in
   one streamed query.
5. Recomputes every confirmed assessment's span in its enterprise's level history and compares
   it with the kept `Assessment.kept_first` / `kept_to_month`, and recounts the level-history
   counters (`LevelMonthCount`, docs/rules.md "Kept level history") from the kept spans.

Lives in `projects`, the highest of the layers whose kept data it checks (cities ← assessments
← projects). Prints a summary and every difference; exits 1 on any difference, 0 when clean.
`--fix` rewrites the differing enterprises through `refresh_current_level` (the writers' own
function) and the differing projects' levels (`refresh_project_levels`), then rebuilds both
sets of counters (after the levels: a level rewritten by the fix moves its enterprise between
roster counters, and a project's levels feed the project counters' uplift), and checks
everything again. A future date is
not fixed: it is data to correct at its source (the city's project import).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Assessment
from assessments.selectors import (
    KeptLevelDifference,
    LevelCountDifference,
    SpanDifference,
    kept_level_differences,
    level_count_differences,
    span_differences,
)
from assessments.services import rebuild_level_counts, refresh_current_level
from cities.models import Enterprise
from cities.selectors.roster_counts import (
    RosterCountDifference,
    roster_count_differences,
    roster_count_keys,
)
from cities.services.roster_counts import rebuild_roster_counts
from projects.models import Project
from projects.selectors.project_counts import (
    ProjectCountDifference,
    ProjectDayDifference,
    ProjectLevelDifference,
    future_dated_projects,
    project_count_differences,
    project_count_keys,
    project_day_differences,
    project_level_differences,
)
from projects.services.project_counts import rebuild_project_counts, refresh_project_levels
from projects.stage_triggers import COLUMNS


def _shown(level: int | None, on: Any) -> str:
    return "无（未确认 / never confirmed）" if level is None and on is None else f"{level} 级 {on}"


def _line(d: KeptLevelDifference) -> str:
    kept, recomputed = _shown(d.kept_level, d.kept_level_on), _shown(d.level, d.level_on)
    return f"企业 enterprise {d.enterprise_id}: 保存 kept {kept} ≠ 重算 recomputed {recomputed}"


def _count_line(d: RosterCountDifference) -> str:
    city, sub, district, above, tier, level = d.key
    shown_level = "未确认 never confirmed" if level < 0 else f"{level} 级"
    return (
        f"计数 counter city={city} sub_industry={sub} district={district or '无 none'} "
        f"above_scale={above} tier={tier} level={shown_level}: "
        f"保存 kept {d.kept} ≠ 重算 recomputed {d.recomputed}"
    )


def _project_count_line(d: ProjectCountDifference) -> str:
    city, sub, district = d.key
    columns = ", ".join(
        f"{name} {kept}≠{recomputed}"
        for name, kept, recomputed in zip(COLUMNS, d.kept, d.recomputed, strict=True)
        if kept != recomputed
    )
    return (
        f"项目计数 project counter city={city} sub_industry={sub} "
        f"district={district or '无 none'}: "
        f"保存≠重算 kept≠recomputed: {columns}"
    )


def _project_day_line(d: ProjectDayDifference) -> str:
    city, sub, district, kind, value = d.key
    return (
        f"项目日期计数 project day counter city={city} sub_industry={sub} district={district} "
        f"kind={kind} value={value}: 保存 kept {d.kept} ≠ 重算 recomputed {d.recomputed}"
    )


def _project_level_line(d: ProjectLevelDifference) -> str:
    def shown(levels: tuple[int | None, int | None]) -> str:
        base, after = ("无 none" if level is None else f"{level} 级" for level in levels)
        return f"改造前 baseline {base} / 改造后 after {after}"

    return (
        f"项目 project {d.project_id}: 保存 kept {shown(d.kept)} ≠ "
        f"重算 recomputed {shown(d.recomputed)}"
    )


def _span_line(d: SpanDifference) -> str:
    def shown(span: tuple[bool | None, int | None]) -> str:
        first, to = span
        if first is None:
            return "不计 none"
        until = "至今 open" if to is None else f"至 to {to // 12}-{to % 12 + 1:02d}"
        return f"{'首次 first' if first else '后续 later'}, {until}"

    return (
        f"评测 assessment {d.assessment_id} (企业 enterprise {d.enterprise_id}): "
        f"保存 kept {shown(d.kept)} ≠ 重算 recomputed {shown(d.recomputed)}"
    )


def _level_count_line(d: LevelCountDifference) -> str:
    city, sub, above, tier, kind, level, month = d.key
    return (
        f"等级历史计数 level history counter city={city} sub_industry={sub} "
        f"above_scale={above} tier={tier} kind={kind} level={level} "
        f"month={month // 12}-{month % 12 + 1:02d}: "
        f"保存 kept {d.kept} ≠ 重算 recomputed {d.recomputed}"
    )


class Command(BaseCommand):
    help = (
        "核对每家企业保存的当前等级与由已确认评测重新计算的结果、企业名录计数与名录本身、"
        "改造项目计数与项目本身，列出每处差异（有差异时退出码为 1）；"
        "--fix 按评测记录改正有差异的企业并重建计数。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix",
            action="store_true",
            help="按已确认评测重新计算并改正有差异的企业，并由名录重建计数",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Enterprise.objects.count()
        found: list[int] = []  # ids only: the differences are printed as they stream
        for d in kept_level_differences():
            found.append(d.enterprise_id)
            self.stdout.write(_line(d))
        self.stdout.write(
            f"当前等级核对 / current levels: {total} 家企业 enterprises, "
            f"{len(found)} 处差异 differences"
        )
        counts = self._check_counts()
        project_counts = self._check_project_counts()
        levels = self._check_project_levels()
        spans, level_counts = self._check_level_history()
        future = future_dated_projects()
        self.stdout.write(
            f"晚于今天的项目日期 / projects dated after today: {future} 个项目 projects"
        )
        if future:
            self.stdout.write(
                "这些项目的阶段或结果日期晚于今天，项目计数会提前计入；请在项目导入中改正日期 / "
                "correct these dates through the projects import"
            )
        problems = []
        if found:
            problems.append(f"{len(found)} 家企业的当前等级与评测记录不符 / {len(found)} differ")
        if counts:
            problems.append(f"{counts} 个计数与企业名录不符 / {counts} counters differ")
        if project_counts:
            problems.append(
                f"{project_counts} 个项目计数与项目不符 / {project_counts} project counters differ"
            )
        if levels:
            problems.append(
                f"{len(levels)} 个项目的保存等级与评测记录不符 / "
                f"{len(levels)} project levels differ"
            )
        if spans or level_counts:
            problems.append(
                f"{len(spans) + level_counts} 处等级历史与评测记录不符 / "
                f"{len(spans) + level_counts} level history differences"
            )
        if not problems:
            if future:
                raise CommandError(f"{future} 个项目的日期晚于今天 / {future} future-dated")
            return
        if not options["fix"]:
            if future:
                problems.append(f"{future} 个项目的日期晚于今天 / {future} future-dated")
            raise CommandError(
                "；".join(problems) + " (verify_aggregates --fix 可改正 / to repair)"
            )
        refresh_current_level([*found, *spans])
        refresh_project_levels(levels)
        rebuild_roster_counts()
        rebuild_project_counts()
        rebuild_level_counts()
        left = (
            sum(1 for _ in kept_level_differences())
            + sum(1 for _ in roster_count_differences())
            + sum(1 for _ in project_count_differences())
            + sum(1 for _ in project_day_differences())
            + sum(1 for _ in project_level_differences())
            + sum(1 for _ in span_differences())
            + sum(1 for _ in level_count_differences())
        )
        if left:
            raise CommandError(f"改正后仍有 {left} 处差异 / {left} differences left after --fix")
        if found:
            self.stdout.write(f"已改正 fixed {len(found)} 家企业 enterprises")
        if levels:
            self.stdout.write(f"已改正 fixed {len(levels)} 个项目的等级 project levels")
        if counts:
            self.stdout.write(f"已重建计数 rebuilt the counters ({counts} 处差异 differed)")
        if project_counts:
            self.stdout.write(
                f"已重建项目计数 rebuilt the project counters ({project_counts} 处差异 differed)"
            )
        if spans or level_counts:
            self.stdout.write(
                f"已重建等级历史 rebuilt the level history "
                f"({len(spans) + level_counts} 处差异 differed)"
            )
        if future:
            raise CommandError(f"{future} 个项目的日期晚于今天 / {future} future-dated")

    def _check_counts(self) -> int:
        differing = 0
        for d in roster_count_differences():
            differing += 1
            self.stdout.write(_count_line(d))
        self.stdout.write(
            f"名录计数核对 / roster counters: {roster_count_keys()} 个键 keys, "
            f"{differing} 处差异 differences"
        )
        return differing

    def _check_project_counts(self) -> int:
        differing = 0
        for d in project_count_differences():
            differing += 1
            self.stdout.write(_project_count_line(d))
        for day in project_day_differences():
            differing += 1
            self.stdout.write(_project_day_line(day))
        self.stdout.write(
            f"项目计数核对 / project counters: {project_count_keys()} 个键 keys, "
            f"{differing} 处差异 differences"
        )
        return differing

    def _check_project_levels(self) -> list[int]:
        found: list[int] = []
        for d in project_level_differences():
            found.append(d.project_id)
            self.stdout.write(_project_level_line(d))
        self.stdout.write(
            f"项目等级核对 / project levels: {Project.objects.count()} 个项目 projects, "
            f"{len(found)} 处差异 differences"
        )
        return found

    def _check_level_history(self) -> tuple[list[int], int]:
        """(enterprises whose assessments' kept spans differ, differing counters)."""
        enterprises: list[int] = []
        for d in span_differences():
            enterprises.append(d.enterprise_id)
            self.stdout.write(_span_line(d))
        differing = 0
        for c in level_count_differences():
            differing += 1
            self.stdout.write(_level_count_line(c))
        self.stdout.write(
            f"等级历史核对 / level history: {Assessment.objects.count()} 条评测 assessments, "
            f"{len(enterprises) + differing} 处差异 differences"
        )
        return sorted(set(enterprises)), differing
