import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oversight.deadlines import deadlines_notify
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = (
        "发送到期提醒（逾期未申请验收、逾期未完工、试点期剩 90/30/7 天仍有未达标细分行业），"
        "每项每个阈值只发一次；celery beat 每天运行一次。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="按该日期判断 YYYY-MM-DD（默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        sent = deadlines_notify(as_of=as_of)
        self.stdout.write(json.dumps({"as_of": as_of.isoformat(), **sent.__dict__}))
