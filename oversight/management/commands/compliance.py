import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cities.models import PilotCity
from oversight import compliance
from oversight.selectors.compliance import compliance_for_cities
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = (
        "按“应改尽改”规则输出城市达标情况（docs/rules.md §3.3 的 JSON）；--all 输出每个城市一行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("city_code", nargs="?", help="城市代码，如 HHHT")
        parser.add_argument("--as-of", dest="as_of", help="统计截至日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--all", action="store_true", help="所有试点城市，每行一个 JSON 对象")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        cities = PilotCity.objects.select_related("batch")
        if options["all"]:
            if options["city_code"]:
                raise CommandError("--all 与城市代码不能同时使用")
            for result in compliance_for_cities(cities, as_of=as_of):
                self.stdout.write(json.dumps(compliance.to_json(result), ensure_ascii=False))
            return
        if not options["city_code"]:
            raise CommandError("请给出城市代码，或使用 --all")
        city = cities.filter(code=options["city_code"]).first()
        if city is None:
            raise CommandError(f"试点城市 {options['city_code']} 不存在")
        result = compliance_for_cities([city], as_of=as_of)[0]
        self.stdout.write(json.dumps(compliance.to_json(result), ensure_ascii=False))
