"""`manage.py import_data KIND FILE [--dry-run]`: counts, errors as `row N, column: message`."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cities.models import District, Enterprise
from tests.cities.import_files import enterprise_file, enterprise_record, kind_file

pytestmark = pytest.mark.django_db


def command(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_data", *args, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def test_import_prints_counts_and_exits_0(sub_industry, tmp_path):
    path = tmp_path / "enterprises.csv"
    path.write_bytes(enterprise_file(12))
    code, out, err = command("enterprises", str(path))
    assert (code, err) == (0, "")
    assert out.strip() == (
        "enterprises: 12 rows, created 12, updated 0, unchanged 0 (已新建区县：赛罕区)"
    )
    assert Enterprise.objects.count() == 12
    code, out, _ = command("enterprises", str(path))
    assert out.strip() == "enterprises: 12 rows, created 0, updated 0, unchanged 12"


def test_dry_run_writes_nothing_and_says_so(sub_industry, tmp_path):
    path = tmp_path / "enterprises.xlsx"
    path.write_bytes(enterprise_file(5, "xlsx"))
    code, out, _ = command("enterprises", str(path), "--dry-run")
    assert code == 0
    assert "created 5" in out
    assert "--dry-run" in out
    assert "将新建区县：赛罕区" in out
    assert not Enterprise.objects.exists()
    assert not District.objects.exists()


def test_errors_go_to_stderr_one_per_line_and_exit_1(sub_industry, tmp_path):
    records = [enterprise_record(n) for n in range(4)]
    records[1]["size_class"] = "巨型"
    records[3]["city_code"] = "NOPE"
    path = tmp_path / "bad.csv"
    path.write_bytes(kind_file("enterprises", records))
    code, _, err = command("enterprises", str(path))
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("row 3, size_class: 无效的值“巨型”")
    assert lines[1] == "row 5, city_code: 试点城市“NOPE”不存在"
    assert not Enterprise.objects.exists()


def test_dry_run_with_errors_also_exits_1(sub_industry, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(kind_file("enterprises", [enterprise_record(1, above_scale="也许")]))
    code, _, err = command("enterprises", str(path), "--dry-run")
    assert code == 1
    assert err.startswith("row 2, above_scale: ")


def test_empty_file_is_reported(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, _, err = command("cities", str(path))
    assert code == 1
    assert err.strip() == "文件为空"


def test_missing_file_exits_1(db, tmp_path):
    code, _, _ = command("cities", str(tmp_path / "nope.csv"))
    assert code == 1


def test_unknown_kind_is_refused(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_data", "people", str(tmp_path / "x.csv"))


def test_stdin_is_read_when_file_is_a_dash(sub_industry, monkeypatch):
    content = enterprise_file(2)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content)))
    code, out, _ = command("enterprises", "-")
    assert code == 0
    assert "created 2" in out


def test_real_process_exit_status_is_1_on_errors(tmp_path, settings):
    # Not through call_command: the exit status a shell script sees. A header error is found
    # before any database access, so the child process gets an empty SQLite database.
    path = tmp_path / "bad.csv"
    path.write_bytes(b"code,name\r\nX,Y\r\n")
    completed = subprocess.run(
        [sys.executable, "manage.py", "import_data", "cities", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
        env={
            "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.test",
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        },
    )
    assert completed.returncode == 1
    assert "row 1, province（省份）: 缺少必填列 province（省份）" in completed.stderr
    assert "cities: 1 rows" in completed.stdout
