"""Issue 17 item 5: a streaming import reads, checks and writes its file a chunk of rows at a
time (settings.IMPORT_CHUNK_ROWS) and is still one import: duplicates are found across chunks,
a district named in several chunks is created once, and a problem in a later chunk (a row, or
the file breaking off) undoes what the earlier chunks wrote. The chunk is three rows here."""

import pytest
from django.db import transaction

from cities.imports import import_file, jobs, selectors
from cities.models import District, Enterprise, ImportJob, ImportJobState
from tests.cities.import_files import enterprise_file, enterprise_record, kind_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chunks_of_three(settings):
    settings.IMPORT_CHUNK_ROWS = 3


def run(content, **kwargs):
    return import_file(kind="enterprises", content=content, actor=None, **kwargs)


def test_a_key_repeated_in_a_later_chunk_is_a_duplicate(sub_industry):
    records = [enterprise_record(n) for n in range(8)]
    records[6]["uscc"] = records[1]["uscc"]  # rows 3 and 8 of the sheet, chunks 1 and 3
    result = run(kind_file("enterprises", records), dry_run=False)
    assert [(e.row, e.message) for e in result.errors] == [(8, "与第 3 行重复")]
    assert not result.written
    assert not Enterprise.objects.exists()


def test_an_error_in_the_last_chunk_undoes_the_chunks_written_before_it(sub_industry):
    records = [enterprise_record(n, district="新城区") for n in range(8)]
    records[7]["sub_industry_code"] = "NOPE"
    result = run(kind_file("enterprises", records), dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(9, "sub_industry_code")]
    assert (result.created, result.written) == (7, False)
    assert not Enterprise.objects.exists()
    assert not Enterprise.history.exists()
    assert not District.objects.filter(name="新城区").exists()


def test_a_district_named_in_several_chunks_is_created_once_and_reported_once(sub_industry):
    records = [enterprise_record(n, district="新城区" if n in (0, 7) else "") for n in range(8)]
    content = kind_file("enterprises", records)
    checked = run(content, dry_run=True)
    assert checked.notices == ("将新建区县：新城区",)
    result = run(content, dry_run=False)
    assert result.written and result.created == 8
    assert result.notices == ("已新建区县：新城区",)
    district = District.objects.get(city=sub_industry.city, name="新城区")
    assert Enterprise.objects.filter(district=district).count() == 2


def test_a_file_that_breaks_off_after_chunks_were_written_writes_nothing(sub_industry):
    result = run(enterprise_file(8), dry_run=False, max_rows=6)
    assert [e.message for e in result.errors] == ["文件超过 6 行（含空行），请拆分后分批导入"]
    assert (result.total_rows, result.written) == (0, False)
    assert not Enterprise.objects.exists()


def test_a_file_with_an_error_in_every_row_keeps_the_first_errors_and_counts_them_all(
    sub_industry, settings
):
    settings.IMPORT_CHUNK_ROWS = 100
    records = [enterprise_record(n, size_class="huge", quality_tier="很优秀") for n in range(700)]
    result = run(kind_file("enterprises", records), dry_run=True)
    assert (result.error_count, result.error_rows) == (1400, 700)
    assert len(result.errors) == 500
    assert [e.row for e in result.errors[:4]] == [2, 2, 3, 3]
    assert result.errors[-1].row == 251


def test_a_running_import_shows_its_progress_from_inside_its_transaction(city_official):
    job = ImportJob.objects.create(
        kind="enterprises",
        original_filename="企业.csv",
        requested_by=city_official,
        city=city_official.city,
        state=ImportJobState.IMPORTING,
        progress_message="正在导入",
    )
    with transaction.atomic():
        jobs._progress(job.pk)(40, "正在写入：已核对 4000 行")
    job.refresh_from_db()
    assert (job.progress_percent, job.progress_message) == (0, "正在导入")
    shown = selectors.import_job_get_visible(user=city_official, pk=job.pk)
    assert (shown.progress_percent, shown.progress_message) == (40, "正在写入：已核对 4000 行")
    # Once the job has finished, its row is the truth.
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJobState.DONE, progress_percent=100)
    shown = selectors.import_job_get_visible(user=city_official, pk=job.pk)
    assert shown.progress_percent == 100
