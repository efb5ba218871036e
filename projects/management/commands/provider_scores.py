import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cities.models import PilotCity
from projects.models import ProviderScoring
from projects.selectors.provider_scores import (
    cities_provider_evaluations,
    provider_scores,
    scores_json,
    scoring_for,
)
from projects.services.provider_scores import evaluations_save
from sme_pilot.errors import DomainError
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = (
        "输出城市服务商评价（docs/rules.md §4.6 的 JSON）；--save 同时保存评价快照，"
        "--scoring 指定权重版本号（默认采用评价日适用的版本）；"
        "--all 按城市代码顺序输出所有试点城市，每个城市一行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("city_code", nargs="?", help="城市代码，如 HHHT")
        parser.add_argument("--as-of", dest="as_of", help="评价日 YYYY-MM-DD（默认今天）")
        parser.add_argument("--scoring", type=int, help="权重版本号（默认：评价日适用的版本）")
        parser.add_argument("--save", action="store_true", help="保存每个服务商的评价快照")
        parser.add_argument("--all", action="store_true", help="所有试点城市，每行一个 JSON 对象")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        if options["all"] and options["city_code"]:
            raise CommandError("--all 与城市代码不能同时使用")
        if not options["all"] and not options["city_code"]:
            raise CommandError("请给出城市代码，或使用 --all")
        city = None
        if not options["all"]:
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
        if city is None:
            cities = list(PilotCity.objects.order_by("code"))
            if options["save"]:
                # All cities or none; printed once everything is stored.
                with transaction.atomic():
                    saved = [
                        (each, evaluations_save(city=each, as_of=as_of, scoring=scoring))
                        for each in cities
                    ]
                for each, rows in saved:
                    self._write(scores_json(each, as_of, rows))
                return
            evaluations = cities_provider_evaluations(cities=cities, as_of=as_of, scoring=scoring)
            for each in cities:
                self._write(scores_json(each, as_of, evaluations[each.pk]))
        elif options["save"]:
            rows = evaluations_save(city=city, as_of=as_of, scoring=scoring)
            self._write(scores_json(city, as_of, rows))
        else:
            self._write(provider_scores(city, as_of, scoring))

    def _write(self, scores: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(scores, ensure_ascii=False))
