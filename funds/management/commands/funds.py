import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cities.models import PilotCity
from funds.selectors import cities_funds, city_funds
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = "输出城市资金台账汇总（docs/rules.md §4.6 的 JSON）；--all 输出每个城市一行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("city_code", nargs="?", help="城市代码，如 HHHT")
        parser.add_argument("--as-of", dest="as_of", help="统计截至日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--all", action="store_true", help="所有试点城市，每行一个 JSON 对象")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        cities = PilotCity.objects.select_related("batch").order_by("code")
        if options["all"]:
            if options["city_code"]:
                raise CommandError("--all 与城市代码不能同时使用")
            for funds in cities_funds(cities=list(cities), as_of=as_of):
                self._write(funds)
            return
        if not options["city_code"]:
            raise CommandError("请给出城市代码，或使用 --all")
        found = cities.filter(code=options["city_code"]).first()
        if found is None:
            raise CommandError(f"试点城市 {options['city_code']} 不存在")
        self._write(city_funds(city=found, as_of=as_of))

    def _write(self, funds: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(funds, ensure_ascii=False))
