"""`manage.py import_data KIND FILE [--dry-run]`: bulk import as specified in docs/rules.md §3.2.

Prints the counts; on any error prints every error as `row N, column: message` on stderr, writes
nothing and exits 1. FILE may be `-` to read standard input (copied to a temporary file first:
the import reads its file more than once and never holds it in memory).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from contextlib import ExitStack
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cities.imports import registry
from cities.imports.service import import_file


class Command(BaseCommand):
    help = "批量导入试点城市、细分行业、企业名录或数字化水平等级（CSV 或 XLSX，全部成功才写入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(registry.kinds()), help="导入类型")
        parser.add_argument("file", help="CSV 或 XLSX 文件路径；“-” 表示标准输入")
        parser.add_argument(
            "--dry-run", action="store_true", help="只校验并统计新增/更新/不变，不写入"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        with ExitStack() as stack:
            handle = self._open(options["file"], stack)
            result = import_file(kind=kind, content=handle, actor=None, dry_run=options["dry_run"])
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors_not_listed:
            self.stderr.write(f"……另有 {result.errors_not_listed} 处错误未列出")
        self.stdout.write(result.summary())
        if not result.ok:
            raise CommandError(f"{result.error_summary}，未写入任何数据", returncode=1)

    def _open(self, name: str, stack: ExitStack) -> IO[bytes]:
        if name == "-":
            spooled = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
            shutil.copyfileobj(sys.stdin.buffer, spooled)
            return spooled
        try:
            return stack.enter_context(open(name, "rb"))
        except OSError as exc:
            raise CommandError(f"无法读取文件 {name}：{exc.strerror}", returncode=1) from None
