"""`manage.py verify_aggregates [--fix]`: check the kept current levels against history.

Recomputes every enterprise's current confirmed level and its date from the confirmed
assessments (docs/rules.md "Kept current level") and compares them with the kept columns
`Enterprise.kept_level` / `kept_level_on`, in one statement. Prints a summary and every
difference; exits 1 on any difference, 0 when clean. `--fix` rewrites the differing rows through
`refresh_current_level` (the writers' own function) and checks again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.selectors import KeptLevelDifference, kept_level_differences
from assessments.services import refresh_current_level
from cities.models import Enterprise


def _shown(level: int | None, on: Any) -> str:
    return "无（未确认 / never confirmed）" if level is None and on is None else f"{level} 级 {on}"


def _line(d: KeptLevelDifference) -> str:
    kept, recomputed = _shown(d.kept_level, d.kept_level_on), _shown(d.level, d.level_on)
    return f"企业 enterprise {d.enterprise_id}: 保存 kept {kept} ≠ 重算 recomputed {recomputed}"


class Command(BaseCommand):
    help = (
        "核对每家企业保存的当前等级与由已确认评测重新计算的结果，列出每处差异"
        "（有差异时退出码为 1）；--fix 按评测记录改正有差异的企业。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="按已确认评测重新计算并改正有差异的企业"
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
        if not found:
            return
        if not options["fix"]:
            raise CommandError(
                f"{len(found)} 家企业的当前等级与评测记录不符 / {len(found)} differ "
                "(verify_aggregates --fix 可改正 / to repair)"
            )
        refresh_current_level(found)
        left = sum(1 for _ in kept_level_differences())
        if left:
            raise CommandError(f"改正后仍有 {left} 处差异 / {left} differences left after --fix")
        self.stdout.write(f"已改正 fixed {len(found)} 家企业 enterprises")
