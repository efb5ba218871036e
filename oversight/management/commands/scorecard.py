import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cities.models import PilotBatch, PilotCity
from oversight.models import Scorecard
from oversight.selectors.scorecard import city_scorecards, scorecards_in_force
from oversight.services import city_scores_save
from sme_pilot.errors import DomainError
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = (
        "输出一个批次各试点城市的绩效评价得分与排名（JSON）；--batch 批次年份（默认最近一个有"
        "评分卡的批次），--scorecard 评分卡版本号（默认评价日适用的版本），--save 保存得分快照。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="评价日 YYYY-MM-DD（默认今天）")
        parser.add_argument("--batch", help="试点批次年份，如 2024")
        parser.add_argument("--scorecard", dest="scorecard_version", type=int, help="评分卡版本号")
        parser.add_argument("--save", action="store_true", help="保存各城市得分快照")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        batch = self._batch(options["batch"])
        if options["scorecard_version"] is not None:
            scorecard = Scorecard.objects.filter(
                batch=batch, version=options["scorecard_version"]
            ).first()
            if scorecard is None:
                raise CommandError(f"{batch} 没有版本 {options['scorecard_version']} 的评分卡")
        else:
            found = scorecards_in_force([batch.pk], as_of).get(batch.pk)
            if found is None:
                raise CommandError(f"{batch} 尚未设置绩效评分卡，请管理员在后台添加")
            scorecard = found
        cities = list(PilotCity.objects.filter(batch=batch).select_related("batch"))
        try:
            if options["save"]:
                rows = city_scores_save(cities=cities, as_of=as_of, scorecard=scorecard)
            else:
                rows = city_scorecards(cities, as_of, scorecard)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        out = {
            "as_of": as_of.isoformat(),
            "batch": batch.year,
            "scorecard": {
                "version": scorecard.version,
                "label": scorecard.label,
                "valid_from": scorecard.valid_from.isoformat(),
            },
            "cities": [row.as_json() for row in rows],
        }
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    def _batch(self, text: str | None) -> PilotBatch:
        if text is None:
            batch = PilotBatch.objects.filter(scorecards__isnull=False).order_by("-year").first()
            if batch is None:
                raise CommandError("尚无试点批次设置了绩效评分卡，请管理员在后台添加")
            return batch
        if not text.isdigit() or len(text) != 4:
            raise CommandError(f"批次应为四位年份，如 2024（收到 {text[:20]!r}）")
        found = PilotBatch.objects.filter(year=int(text)).first()
        if found is None:
            raise CommandError(f"试点批次 {text} 不存在")
        return found
