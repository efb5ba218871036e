"""`manage.py score_answers FILE`: a JSON list of documents in, a JSON list of results out.

The command reads the newest indicator revisions from the database (the 2024 edition is loaded
by a migration), hence the django_db mark.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.assessments.documents import EXAMPLE_RESULT, example

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: bytes | None = None, monkeypatch=None) -> tuple[int, str]:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    try:
        call_command("score_answers", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def invalid_document() -> dict:
    doc = example()
    doc["answers"]["Q1"] = ["A", "B"]
    return doc


def test_results_come_back_in_order_with_invalid_documents_in_place(tmp_path):
    second = example()
    del second["data"]
    second["scenes"]["S13"] = 4
    path = tmp_path / "answers.json"
    path.write_text(
        json.dumps([example(), invalid_document(), second, "不是文档"], ensure_ascii=False),
        encoding="utf-8",
    )
    code, out = run(str(path))
    assert code == 0
    assert out.count("\n") == 1  # one compact JSON list
    results = json.loads(out)
    assert len(results) == 4
    assert results[0] == EXAMPLE_RESULT
    assert results[1]["valid"] is False
    assert [e["field"] for e in results[1]["errors"]] == ["Q1"]
    assert results[2]["valid"] is True
    assert results[2]["scenes_at_or_above"] == {"1": 14, "2": 8, "3": 1, "4": 1}
    assert results[3] == {
        "valid": False,
        "errors": [{"field": "document", "message": "评测文档应为 JSON 对象"}],
    }


def test_output_is_compact_utf8(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps([invalid_document()]), encoding="utf-8")
    code, out = run(str(path))
    assert code == 0
    assert "不能与其他选项同时选择" in out  # not \\u escapes
    assert ", " not in out and '": ' not in out


def test_reads_standard_input(monkeypatch):
    data = json.dumps([example()], ensure_ascii=False).encode("utf-8")
    code, out = run("-", stdin=data, monkeypatch=monkeypatch)
    assert code == 0
    assert json.loads(out) == [EXAMPLE_RESULT]


def test_an_empty_list_gives_an_empty_list(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("[]", encoding="utf-8")
    assert run(str(path)) == (0, "[]\n")


def test_a_bom_is_fine(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([example()]).encode("utf-8"))
    code, out = run(str(path))
    assert (code, json.loads(out)) == (0, [EXAMPLE_RESULT])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[{", "不是有效的 JSON"),
        (b"", "不是有效的 JSON"),
        (b"\xff\xfe\x00garbage", "不是有效的 JSON"),
        (json.dumps(example()).encode(), "应为答卷的 JSON 列表"),  # one document, not a list
        (b'"text"', "实际为字符串"),
    ],
)
def test_unreadable_json_exits_2(content, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    code, error = run(str(path))
    assert code == 2
    assert message in error


def test_a_missing_file_exits_2(tmp_path):
    code, error = run(str(tmp_path / "nope.json"))
    assert code == 2
    assert "无法读取文件" in error


def test_the_process_exit_status_is_2_for_bad_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("not json", encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.test"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "score_answers", str(path)],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "不是有效的 JSON" in proc.stderr
