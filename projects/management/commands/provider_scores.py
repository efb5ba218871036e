import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cities.models import PilotCity
from projects.models import ProviderScoring
from projects.selectors.provider_scores import provider_scores, scores_json, scoring_for
from projects.services.provider_scores import evaluations_save
from sme_pilot.errors import DomainError
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = (
        "输出城市服务商评价（docs/rules.md §4.6 的 JSON）；--save 同时保存评价快照，"
        "--scoring 指定权重版本号（默认采用评价日适用的版本）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("city_code", help="城市代码，如 HHHT")
        parser.add_argument("--as-of", dest="as_of", help="评价日 YYYY-MM-DD（默认今天）")
        parser.add_argument("--scoring", type=int, help="权重版本号（默认：评价日适用的版本）")
        parser.add_argument("--save", action="store_true", help="保存每个服务商的评价快照")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        city = PilotCity.objects.filter(code=options["city_code"]).first()
        if city is None:
            raise CommandError(f"试点城市 {options['city_code']} 不存在")
        if options["scoring"] is not None:
            scoring = ProviderScoring.objects.filter(version=options["scoring"]).first()
            if scoring is None:
                raise CommandError(f"服务商评价权重版本 {options['scoring']} 不存在")
        else:
            try:
                scoring = scoring_for(as_of)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        if options["save"]:
            rows = evaluations_save(city=city, as_of=as_of, scoring=scoring)
            scores = scores_json(city, as_of, rows)
        else:
            scores = provider_scores(city, as_of, scoring)
        self.stdout.write(json.dumps(scores, ensure_ascii=False))
