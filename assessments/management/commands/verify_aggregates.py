"""`manage.py verify_aggregates [--fix]`: check the kept current state against history.

1. Recomputes every enterprise's current confirmed level and its date from the confirmed
   assessments (docs/rules.md "Kept current level") and compares them with the kept columns
   `Enterprise.kept_level` / `kept_level_on`, in one statement.
2. Recounts the roster counters (`RosterCount`) from the roster, in one GROUP BY, and compares
   every key.

Prints a summary and every difference; exits 1 on any difference, 0 when clean. `--fix` rewrites
the differing enterprises through `refresh_current_level` (the writers' own function), then
rebuilds the counters from the roster (after the levels: a level rewritten by the fix moves its
enterprise between counters), and checks both again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.selectors import KeptLevelDifference, kept_level_differences
from assessments.services import refresh_current_level
from cities.models import Enterprise
from cities.selectors.roster_counts import (
    RosterCountDifference,
    roster_count_differences,
    roster_count_keys,
)
from cities.services.roster_counts import rebuild_roster_counts


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


class Command(BaseCommand):
    help = (
        "核对每家企业保存的当前等级与由已确认评测重新计算的结果，以及企业名录计数与名录本身，"
        "列出每处差异（有差异时退出码为 1）；--fix 按评测记录改正有差异的企业并重建计数。"
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
        if not found and not counts:
            return
        if not options["fix"]:
            parts = []
            if found:
                parts.append(f"{len(found)} 家企业的当前等级与评测记录不符 / {len(found)} differ")
            if counts:
                parts.append(f"{counts} 个计数与企业名录不符 / {counts} counters differ")
            raise CommandError("；".join(parts) + " (verify_aggregates --fix 可改正 / to repair)")
        refresh_current_level(found)
        rebuild_roster_counts()
        left = sum(1 for _ in kept_level_differences())
        left_counts = sum(1 for _ in roster_count_differences())
        if left or left_counts:
            raise CommandError(
                f"改正后仍有 {left + left_counts} 处差异 / "
                f"{left + left_counts} differences left after --fix"
            )
        if found:
            self.stdout.write(f"已改正 fixed {len(found)} 家企业 enterprises")
        if counts:
            self.stdout.write(f"已重建计数 rebuilt the counters ({counts} 处差异 differed)")

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
