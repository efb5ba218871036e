import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import rendering
from reports.snapshots import KINDS, build_snapshot, snapshot_hash
from sme_pilot.inputs import AsOfError, parse_as_of


class Command(BaseCommand):
    help = "同步生成一份 PDF 报告（与异步任务相同的数据快照和模板），输出快照哈希和页数。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS, help="报告类型：city、national 或 assessment")
        parser.add_argument("--city", dest="city", help="城市代码（city 报告），如 HHHT")
        parser.add_argument("--assessment", dest="assessment", type=int, help="评测编号")
        parser.add_argument("--as-of", dest="as_of", help="统计截至日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--output", required=True, help="输出的 PDF 文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if kind == "city" and not options["city"]:
            raise CommandError("city 报告需要 --city 城市代码")
        if kind == "assessment" and options["assessment"] is None:
            raise CommandError("assessment 报告需要 --assessment 评测编号")
        try:
            as_of = parse_as_of(options["as_of"])
        except AsOfError as exc:
            raise CommandError(str(exc)) from exc
        started = time.perf_counter()
        try:
            snapshot = build_snapshot(
                kind, city_code=options["city"], assessment_id=options["assessment"], as_of=as_of
            )
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc).strip("'\"")) from exc
        digest = snapshot_hash(snapshot)
        document = rendering.render_document(kind, snapshot, snapshot_hash=digest)
        pdf = document.write_pdf()
        Path(options["output"]).write_bytes(pdf)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"snapshot {digest}")
        self.stdout.write(f"pages {len(document.pages)}")
        self.stdout.write(f"bytes {len(pdf)} seconds {elapsed:.2f} output {options['output']}")
