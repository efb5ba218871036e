"""`manage.py score_answers FILE`: score a JSON list of answer documents (docs/rules.md §3.1).

Prints one compact JSON list with one result per document, in the same order: the §3.1 result
or {"valid": false, "errors": [...]}. Exits 0 whenever FILE is a readable JSON list, whatever
the documents' validity; exits 2 when FILE cannot be read, is not JSON, or is not a list.
FILE may be `-` for standard input. Documents are scored against the newest revision of each
indicator version in the database.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.indicators import current_indicators
from assessments.scoring import evaluate_document


class Command(BaseCommand):
    help = "按 2024 年版评测指标为 JSON 列表中的每份答卷计分，按原顺序输出结果列表。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="答卷 JSON 文件（一个列表）；“-” 表示标准输入")

    def handle(self, *args: Any, **options: Any) -> None:
        documents = self._documents(options["file"])
        indicators = current_indicators()
        results = [evaluate_document(document, indicators) for document in documents]
        self.stdout.write(json.dumps(results, ensure_ascii=False, separators=(",", ":")))

    def _documents(self, name: str) -> list[Any]:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {name}：{exc.strerror}", returncode=2) from None
        try:
            # json.loads detects UTF-8 (with or without BOM), UTF-16 and UTF-32 from bytes.
            documents = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise CommandError(f"{name} 不是有效的 JSON：{exc}", returncode=2) from None
        if not isinstance(documents, list):
            found = _JSON_KINDS.get(type(documents), "其他值")
            raise CommandError(
                f"{name} 应为答卷的 JSON 列表（[{{…}}, …]），实际为{found}", returncode=2
            )
        return documents


_JSON_KINDS = {dict: "对象", str: "字符串", int: "数值", float: "数值", bool: "布尔值"}
_JSON_KINDS[type(None)] = "null"
