"""一企一档批量下载: the dossiers of many enterprises as one ZIP, built by a background job.

Request: who may see the project list of a city, except a provider (city and district officials,
province officials, ministry, admins), asks for the enterprises of the city's projects under the
project list's filters. The enterprises are frozen on the row (`enterprise_ids`); more than
settings.DOSSIER_ZIP_MAX_ENTERPRISES is refused with a message suggesting a filter, and nothing
is written. New archives per user and hour: settings.DOSSIER_ZIP_REQUESTS_PER_HOUR (429).

Run (job engine kind `DOSSIER_ARCHIVES`, one step queued → packing): each enterprise's dossier
is built and rendered, and its PDF written atomically (temporary name, rename) into the job's
work folder on disk, one at a time; progress is saved every `PROGRESS_EVERY` dossiers. A run
works for at most settings.DOSSIER_ZIP_SLICE_SECONDS and DOSSIER_ZIP_SLICE_DOSSIERS, then hands
its attempt back and queues the job again: each task stays far below its time limit, and a
process's memory (WeasyPrint's native caches grow a little with every document) is bounded by a
slice, not by the number of enterprises, once the PDF workers recycle their children
(--max-tasks-per-child, --max-memory-per-child).
Once every PDF is there, the ZIP is written on disk member by member from those files (never
held in memory) under a temporary name, renamed into place, the job marked done, the work
folder removed.

Killed mid-way, a run leaves its finished PDFs: the sweeper (or a redelivery) puts the job back
and the next run resumes after them; a half-written PDF or ZIP has only a temporary name and is
never used. Whatever happens there is at most one archive per job, complete.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import re
import shutil
import time
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.policy import Reach, scope_of, sees_project_list
from cities.models import Enterprise, PilotCity
from cities.selectors import city_list_visible_to
from projects.models import Project
from projects.selectors.projects import ProjectFilters, filter_projects, project_list_visible_to
from sme_pilot import jobs, ratelimits
from sme_pilot.db import primary_lsn, replica_reads
from sme_pilot.downloads import download_filename
from sme_pilot.errors import Invalid, NotFound, minutes_to_wait

from . import snapshots
from .models import DossierArchive, DossierArchiveState

logger = logging.getLogger(__name__)

State = DossierArchiveState

PROGRESS_EVERY: Final = 10  # dossiers between two progress updates
RETRY_BACKOFF_SECONDS: Final = 30
# Seconds per task: a run stops taking new dossiers after DOSSIER_ZIP_SLICE_SECONDS (default 4
# min); one dossier renders in about a second, so this leaves ample room.
PACK_SOFT_TIME_LIMIT: Final = 9 * 60
PACK_HARD_TIME_LIMIT: Final = 10 * 60
FOLDER: Final = "dossiers"
INDEX_NAME: Final = "目录.csv"

FAILED_MESSAGE: Final = "一企一档打包失败，已尝试 {attempts} 次。请稍后重新申请或联系系统管理员。"
STUCK_MESSAGE: Final = "一企一档打包多次中断（超时或后台进程退出），已停止重试。"

PACK: Final = jobs.Step(
    waiting=State.QUEUED,
    running=State.PACKING,
    task="reports.pack_dossier_archive",
    requeued_message="打包中断，已重新排队，将从中断处继续",
)
DOSSIER_ARCHIVES: Final = jobs.JobKind(
    name="dossier archive",
    model=DossierArchive,
    steps=(PACK,),
    failed_state=State.FAILED,
    exhausted_message=STUCK_MESSAGE,
    hard_time_limit=PACK_HARD_TIME_LIMIT,
    message_fields=("progress_message", "error_message"),
)

# The project list's filters an archive may use (ProjectFilters.from_api reads and checks them).
FILTER_FIELDS: Final = (
    "district",
    "sub_industry",
    "provider",
    "stage",
    "reached",
    "outcome",
    "overdue",
    "as_of",
    "q",
)


class ArchiveTooLarge(Invalid):
    """More enterprises than one archive may hold; nothing was written."""

    def __init__(self, *, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(
            f"所选范围共有 {count} 家企业，超过一次打包的上限 {limit} 家。"
            "请按区县、细分行业、项目阶段等条件筛选后分批下载。"
        )


class ArchiveRequestsTooFrequent(ratelimits.TooFrequent):
    def __init__(self, *, limit: int, retry_after: Any) -> None:
        super().__init__(
            f"一企一档批量下载申请过于频繁：每小时最多申请 {limit} 次，"
            f"请 {minutes_to_wait(retry_after)} 分钟后再试。已生成的压缩包可在下方列表中下载。",
            retry_after=retry_after,
        )


# --- who, and what ---------------------------------------------------------------------------


def may_pack(user: object) -> bool:
    """The roles with the project list, but not a provider (it sees no registry rows)."""
    return sees_project_list(user) and scope_of(user).reach is not Reach.PROVIDER


def archive_list_visible_to(*, user: object) -> QuerySet[DossierArchive]:
    """The user's own archives, of a city (and district) still in the user's scope."""
    if not may_pack(user) or not isinstance(user, User):
        return DossierArchive.objects.none()
    qs = DossierArchive.objects.filter(
        requested_by=user, city__in=city_list_visible_to(user=user)
    ).select_related("city", "district")
    scope = scope_of(user)
    if scope.reach is Reach.DISTRICT:
        # Never a city-wide archive of the same city for a district official.
        qs = qs.filter(district__isnull=False, district_id=scope.district_id or 0)
    return qs


def archive_get_visible(*, user: object, pk: int) -> DossierArchive:
    try:
        return archive_list_visible_to(user=user).get(pk=pk)
    except DossierArchive.DoesNotExist:
        raise NotFound("没有找到该压缩包") from None


def read_filters(query: Mapping[str, str]) -> ProjectFilters:
    """The filters of a request; a value the list would not accept is Invalid (400)."""
    picked = {k: str(query[k]).strip() for k in FILTER_FIELDS if str(query.get(k, "")).strip()}
    try:
        return ProjectFilters.from_api(picked)
    except ValidationError as exc:
        raise Invalid("；".join(m for ms in exc.message_dict.values() for m in ms)) from None


def _in_scope(user: object, filters: ProjectFilters) -> ProjectFilters:
    """A district official packs only its district, whatever the filter says."""
    scope = scope_of(user)
    if scope.reach is Reach.DISTRICT:
        return dataclasses.replace(filters, district=scope.district_id, without_district=False)
    return filters


def archive_projects(
    *, user: object, city: PilotCity, filters: ProjectFilters
) -> QuerySet[Project]:
    """The projects whose enterprises the archive holds: the project list's, in one city."""
    filters = dataclasses.replace(_in_scope(user, filters), city=city.pk)
    return filter_projects(project_list_visible_to(user=user), filters)


def archive_count(*, user: object, city: PilotCity, filters: ProjectFilters) -> int:
    return archive_projects(user=user, city=city, filters=filters).count()


def archive_city(*, user: object, city_id: int | None) -> PilotCity:
    """The city to pack, in the user's scope (404 otherwise); None: the user's only city."""
    if not may_pack(user):
        raise NotFound("页面不存在")
    cities = city_list_visible_to(user=user)
    if city_id is None:
        only = list(cities[:2])
        if len(only) == 1:
            return only[0]
        raise Invalid("请选择试点城市。")
    found = cities.filter(pk=city_id).first()
    if found is None:
        raise NotFound("没有找到该试点城市")
    return found


# --- request ---------------------------------------------------------------------------------


def archive_request(*, actor: User, city_id: int | None, filters: ProjectFilters) -> DossierArchive:
    """A new queued archive of the enterprises in scope under `filters`; refused (nothing
    written) when there are none, too many, or the actor is over the hourly limit."""
    city = archive_city(user=actor, city_id=city_id)
    filters = _in_scope(actor, filters)
    projects = archive_projects(user=actor, city=city, filters=filters)
    limit = max(1, int(settings.DOSSIER_ZIP_MAX_ENTERPRISES))
    # One more than the limit is enough to know it is too many, without reading them all.
    ids = list(
        projects.order_by("enterprise__uscc").values_list("enterprise_id", flat=True)[: limit + 1]
    )
    if not ids:
        raise Invalid("所选范围内没有企业，请调整筛选条件。")
    if len(ids) > limit:
        raise ArchiveTooLarge(count=projects.count(), limit=limit)
    with transaction.atomic():
        ratelimits.one_at_a_time(User.objects.filter(pk=actor.pk))
        per_hour = int(settings.DOSSIER_ZIP_REQUESTS_PER_HOUR)
        wait = ratelimits.wait(DossierArchive.objects.filter(requested_by=actor), limit=per_hour)
        if wait is not None:
            raise ArchiveRequestsTooFrequent(limit=max(0, per_hour), retry_after=wait)
        archive = DossierArchive.objects.create(
            requested_by=actor,
            city=city,
            district_id=filters.district,
            params=filters.as_query(),
            enterprise_ids=ids,
            enterprise_count=len(ids),
            progress_message="排队等待打包",
        )
        jobs.enqueue_on_commit(DOSSIER_ARCHIVES, archive.pk)
    return archive


# --- run -------------------------------------------------------------------------------------


def archive_file_name(archive: DossierArchive) -> str:
    return f"{FOLDER}/dossier-archive-{archive.pk}.zip"


def _work_dir(archive: DossierArchive) -> str:
    return default_storage.path(f"{FOLDER}/work-{archive.pk}")


def _member(work: str, enterprise_id: int) -> str:
    return os.path.join(work, f"{enterprise_id}.pdf")


def _write_atomically(path: str, chunks: Iterator[bytes] | bytes) -> None:
    temp = f"{path}.part"
    try:
        with open(temp, "wb") as handle:
            if isinstance(chunks, bytes):
                handle.write(chunks)
            else:
                for chunk in chunks:
                    handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _progress(archive_id: int, done: int, total: int) -> None:
    jobs.claim(
        DossierArchive,
        archive_id,
        (State.PACKING,),
        State.PACKING,
        progress_percent=min(95, 95 * done // max(total, 1)),
        progress_message=f"已生成 {done} / {total} 份一企一档",
    )


def archive_run(archive_id: int) -> DossierArchive | None:
    """Pack a queued archive: a slice of its dossiers, or (all rendered) the ZIP itself."""
    if not jobs.start(DOSSIER_ARCHIVES, archive_id, PACK, progress_message="正在生成一企一档"):
        return DossierArchive.objects.filter(pk=archive_id).first()
    archive = DossierArchive.objects.get(pk=archive_id)
    try:
        finished = _render_slice(archive)
        if finished:
            name, size = _write_zip(archive)
    except Exception as exc:
        logger.exception("dossier archive %s: failed (attempt %s)", archive_id, archive.attempts)
        return _after_failure(archive, exc)
    if not finished:
        # Time is up, not an attempt spent: hand it back and continue in a fresh task.
        jobs.wait(
            DOSSIER_ARCHIVES,
            archive_id,
            (State.PACKING,),
            PACK,
            attempts=F("attempts") - 1,
        )
        jobs.enqueue_on_commit(DOSSIER_ARCHIVES, archive_id)
        return DossierArchive.objects.get(pk=archive_id)
    jobs.claim(
        DossierArchive,
        archive_id,
        (State.PACKING,),
        State.DONE,
        file=name,
        size=size,
        progress_percent=100,
        progress_message=f"已打包 {archive.enterprise_count} 份一企一档",
        error_message="",
        finished_at=timezone.now(),
    )
    shutil.rmtree(_work_dir(archive), ignore_errors=True)
    logger.info("dossier archive %s: done", archive_id, extra={"archive_id": archive_id})
    return DossierArchive.objects.get(pk=archive_id)


def _render_slice(archive: DossierArchive) -> bool:
    """Render the dossiers not yet on disk, until done (True) or out of time (False)."""
    renderer = import_string(settings.REPORTS_RENDERER)
    work = _work_dir(archive)
    os.makedirs(work, exist_ok=True)
    ids: list[int] = list(archive.enterprise_ids)
    total = len(ids)
    as_of = timezone.localtime(archive.created_at).date()
    deadline = time.monotonic() + float(settings.DOSSIER_ZIP_SLICE_SECONDS)
    per_run = max(1, int(settings.DOSSIER_ZIP_SLICE_DOSSIERS))
    done = sum(os.path.exists(_member(work, pk)) for pk in ids)
    since = rendered = 0
    # The dossiers may come from the replica, once it has replayed everything committed before
    # this task began (the request and whatever preceded it); until then from the primary.
    build_snapshot = replica_reads(min_lsn=primary_lsn())(snapshots.build_snapshot)
    for pk in ids:
        path = _member(work, pk)
        if os.path.exists(path):
            continue
        # Every run renders at least one; at most a slice's time or number of dossiers.
        if rendered and (time.monotonic() > deadline or rendered >= per_run):
            _progress(archive.pk, done, total)
            return False
        try:
            snapshot = build_snapshot("dossier", enterprise_id=pk, as_of=as_of, issued_on=as_of)
        except LookupError:
            continue  # deleted since the request: left out of the archive and its index
        pdf = renderer("dossier", snapshot, snapshot_hash=snapshots.snapshot_hash(snapshot))
        _write_atomically(path, pdf)
        done += 1
        rendered += 1
        since += 1
        if since >= PROGRESS_EVERY:
            since = 0
            _progress(archive.pk, done, total)
    return True


def _write_zip(archive: DossierArchive) -> tuple[str, int]:
    """The ZIP from the rendered PDFs, written on disk member by member, renamed into place."""
    work = _work_dir(archive)
    name = archive_file_name(archive)
    final = default_storage.path(name)
    temp = f"{final}.part"
    ids: list[int] = list(archive.enterprise_ids)
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["序号", "统一社会信用代码", "企业名称", "文件名"])
    try:
        # PDFs are compressed already: stored, not deflated again.
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            number = 0
            for pk, uscc, enterprise_name in _enterprises(ids):
                path = _member(work, pk)
                if not os.path.exists(path):
                    continue
                number += 1
                member = download_filename(f"{uscc}_{enterprise_name}.pdf")
                zf.write(path, member)
                writer.writerow([number, uscc, enterprise_name, member])
            zf.writestr(INDEX_NAME, "\ufeff" + index.getvalue())
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        size = os.path.getsize(temp)
        os.replace(temp, final)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return name, size


def _enterprises(ids: list[int], chunk: int = 500) -> Iterator[tuple[int, str, str]]:
    """(id, USCC, name) of `ids` in their order, read a chunk at a time."""
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        found = {
            pk: (uscc, name)
            for pk, uscc, name in Enterprise.objects.filter(pk__in=part).values_list(
                "pk", "uscc", "name"
            )
        }
        for pk in part:
            if pk in found:
                yield pk, *found[pk]


def _cleanup(archive: DossierArchive) -> None:
    shutil.rmtree(_work_dir(archive), ignore_errors=True)


def _after_failure(archive: DossierArchive, exc: BaseException) -> DossierArchive:
    reason = f"{type(exc).__name__}: {exc}"[:300]
    if archive.attempts < archive.max_attempts:
        if jobs.wait(
            DOSSIER_ARCHIVES,
            archive.pk,
            (State.PACKING,),
            PACK,
            progress_message=f"第 {archive.attempts} 次打包失败，稍后自动重试",
            error_message=reason,
        ):
            countdown = RETRY_BACKOFF_SECONDS * archive.attempts
            jobs.enqueue_on_commit(DOSSIER_ARCHIVES, archive.pk, countdown=countdown)
    else:
        jobs.fail(
            DOSSIER_ARCHIVES,
            archive.pk,
            FAILED_MESSAGE.format(attempts=archive.attempts),
            rows=DossierArchive.objects.filter(state=State.PACKING),
            error_message=reason,
            file="",
        )
        _cleanup(archive)
    return DossierArchive.objects.get(pk=archive.pk)


# --- sweep -----------------------------------------------------------------------------------


def archives_sweep(*, now: Any = None) -> dict[str, int]:
    """Put back archives a dead worker left, send those never picked up, fail exhausted ones;
    then remove what finished archives left on disk (`removed`)."""
    result = jobs.sweep(DOSSIER_ARCHIVES, now=now)
    result["removed"] = _remove_leftovers()
    return result


_LEFTOVER = re.compile(r"^(?:work-(\d+)|dossier-archive-(\d+)\.zip\.part)$")


def _remove_leftovers() -> int:
    """Work folders and partial ZIPs of archives that are done or failed: a run killed after
    its archive was marked done, or an archive failed by the sweeper, leaves them behind."""
    folder = default_storage.path(FOLDER)
    if not os.path.isdir(folder):
        return 0
    found: dict[int, list[str]] = {}
    for name in os.listdir(folder):
        match = _LEFTOVER.match(name)
        if match:
            found.setdefault(int(match.group(1) or match.group(2)), []).append(name)
    finished = DossierArchive.objects.filter(
        pk__in=list(found), state__in=(State.DONE, State.FAILED)
    ).values_list("pk", flat=True)
    removed = 0
    for pk in finished:
        for name in found[pk]:
            path = os.path.join(folder, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
            removed += 1
    return removed
