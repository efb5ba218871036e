import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.selectors import RescoreChange, rescore_preview
from sme_pilot.errors import NotFound


class Command(BaseCommand):
    help = (
        "列出在该评测指标版本的最新修订下等级会发生变化的评测（只读，不修改任何数据）。"
        "输出 JSON：每个变化一行，最后一行为汇总。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="评测指标版本，如 2024")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            preview = rescore_preview(version_code=options["version"], on_change=self._write)
        except NotFound as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "version": preview.version,
                    "newest_revision": preview.newest_revision,
                    "examined": preview.examined,
                    "level_changes": preview.level_changes,
                },
                ensure_ascii=False,
            )
        )

    def _write(self, c: RescoreChange) -> None:
        """One change, printed as soon as it is found (nothing is collected)."""
        self.stdout.write(
            json.dumps(
                {
                    "assessment": c.assessment_id,
                    "uscc": c.enterprise_uscc,
                    "state": c.state,
                    "revision": c.revision,
                    "level": c.old_level,
                    "new_level": c.new_level,
                    "total": f"{c.old_total:.3f}" if c.old_total is not None else None,
                    "new_total": f"{c.new_total:.3f}",
                },
                ensure_ascii=False,
            )
        )
