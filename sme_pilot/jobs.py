"""One job engine: a database row is the truth about a background job, whatever the queue says.

The lowest layer: it imports nothing of ours but the Celery app, and an app's job kind is a
`JobKind` it declares next to its services (`cities.imports.jobs.IMPORT_JOBS`,
`reports.services.REPORT_JOBS`). The engine works only through that description; the apps keep
their own state enums and what a step does.

A job model has the columns `state`, `attempts`, `max_attempts` (default `MAX_ATTEMPTS`),
`progress_percent`, `progress_message`, `enqueued_at`, `claimed_at`, `finished_at` and
`updated_at`, plus any in `JobKind.message_fields`.

- **Claim.** `claim` is a conditional UPDATE: the row moves from one of `from_states` iff it is
  still in one, so of two deliveries of one task exactly one proceeds. `start` claims an attempt
  at a step (attempts + 1, `claimed_at` stamped) while `attempts < max_attempts`; a job out of
  attempts is failed there and then, with the kind's message.
- **Enqueue.** `enqueue` stamps `enqueued_at` and sends the step's task *by name*, so services
  never import their tasks; `enqueue_on_commit` sends it once the job row is committed. Neither
  raises: with the broker down the job keeps waiting (`enqueued_at` empty) for the sweeper.
- **Sweep.** `sweep(kind)` (celery beat, every minute, one task per kind). One clock rule:
  a job *claimed* (`claimed_at`) longer ago than the kind's hard time limit plus `STUCK_MARGIN`
  is a dead worker's, since its task cannot still be running: it goes back to waiting and is sent
  again. A job *waiting* for a worker, sent (`enqueued_at`) or, never sent, put there
  (`updated_at`) longer than `UNPICKED_AFTER` ago was lost (Redis down): it is sent again. Either
  out of attempts is failed, visibly. Rows locked by a running step (an import holds its row
  while it writes) are skipped. `claimed_at` is cleared whenever a job goes back to waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from celery import Task
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from sme_pilot.celery import app

logger = logging.getLogger(__name__)

# Attempts a job gets (the default of every job model's `max_attempts` column).
MAX_ATTEMPTS: Final = 3
# A job claimed longer ago than its task's hard time limit plus this is a dead worker's.
STUCK_MARGIN: Final = dt.timedelta(seconds=60)
# A job waiting for a worker longer than this was probably never enqueued (Redis down) or lost.
UNPICKED_AFTER: Final = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Step:
    """One step of a job: it waits in `waiting` for `task`, which claims it into `running`.

    `takeover`: a redelivered task may claim the job while it is still `running` (only for a
    step that is safe to run twice: a dry run, or a write that re-checks under a row lock).
    """

    waiting: str
    running: str
    task: str  # the Celery task's registered name; it takes the job's id
    requeued_message: str  # shown when the sweeper puts a dead worker's job back
    takeover: bool = False

    @property
    def claim_from(self) -> tuple[str, ...]:
        if self.takeover and self.running != self.waiting:
            return (self.waiting, self.running)
        return (self.waiting,)


@dataclass(frozen=True)
class JobKind:
    """What the engine needs to know about one kind of job."""

    name: str  # for logs: "import job", "report job"
    model: type[models.Model]
    steps: tuple[Step, ...]
    failed_state: str
    exhausted_message: str  # the job was claimed `max_attempts` times without finishing
    # Seconds; the tasks' `time_limit`. None: the Celery default, settings.CELERY_TASK_TIME_LIMIT.
    hard_time_limit: int | None = None
    # The columns a failure's message is written to.
    message_fields: tuple[str, ...] = ("progress_message",)

    @property
    def waiting_states(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.waiting for step in self.steps))

    @property
    def running_states(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.running for step in self.steps))

    def step(self, state: str) -> Step:
        """The step a job in `state` waits for or runs."""
        for step in self.steps:
            if state in (step.waiting, step.running):
                return step
        raise LookupError(f"{self.name}: no step waits or runs in state {state!r}")

    def time_limit(self) -> dt.timedelta:
        seconds = self.hard_time_limit
        if seconds is None:
            seconds = int(settings.CELERY_TASK_TIME_LIMIT)
        return dt.timedelta(seconds=seconds)

    def rows(self) -> models.QuerySet[Any]:
        return self.model._default_manager.all()


def claim(
    queryset_or_model: models.QuerySet[Any] | type[models.Model],
    pk: int,
    from_states: Iterable[str],
    to_state: str,
    **fields: Any,
) -> bool:
    """Move row `pk` from one of `from_states` to `to_state` (and set `fields`), iff it is in one.

    One conditional UPDATE: of any number of concurrent callers at most one gets True. A
    queryset narrows the condition further (e.g. attempts left). `updated_at` is stamped.
    """
    if isinstance(queryset_or_model, models.QuerySet):
        rows = queryset_or_model
    else:
        rows = queryset_or_model._default_manager.all()
    fields.setdefault("updated_at", timezone.now())
    changed = rows.filter(pk=pk, state__in=list(from_states)).update(state=to_state, **fields)
    return bool(changed)


def start(kind: JobKind, pk: int, step: Step, **fields: Any) -> bool:
    """Claim an attempt at `step` for this delivery of its task; False if it is not ours to run.

    Not ours: another delivery has it, it is finished, or it is out of attempts, in which case
    it is failed here with the kind's message (a task redelivered again and again gives up).
    """
    now = timezone.now()
    with_attempts_left = kind.rows().filter(attempts__lt=F("max_attempts"))
    fields = {"attempts": F("attempts") + 1, "claimed_at": now, "updated_at": now, **fields}
    if claim(with_attempts_left, pk, step.claim_from, step.running, **fields):
        return True
    exhausted = kind.rows().filter(state__in=step.claim_from, attempts__gte=F("max_attempts"))
    fail(kind, pk, kind.exhausted_message, rows=exhausted)
    return False


def wait(kind: JobKind, pk: int, from_states: Iterable[str], step: Step, **fields: Any) -> bool:
    """Move the job from one of `from_states` to wait for `step`: unclaimed and not yet sent.

    The caller (or, failing that, the sweeper) sends the task.
    """
    fields = {"claimed_at": None, "enqueued_at": None, **fields}
    return claim(kind.model, pk, from_states, step.waiting, **fields)


def fail(
    kind: JobKind,
    pk: int,
    message: str,
    *,
    rows: models.QuerySet[Any] | None = None,
    **fields: Any,
) -> bool:
    """Fail the job visibly: `message` in the kind's message columns (`fields` may override)."""
    now = timezone.now()
    values = {
        **dict.fromkeys(kind.message_fields, message),
        "finished_at": now,
        "updated_at": now,
        **fields,
    }
    rows = kind.rows() if rows is None else rows
    return bool(rows.filter(pk=pk).update(state=kind.failed_state, **values))


def enqueue(kind: JobKind, pk: int, *, countdown: int | None = None) -> bool:
    """Send the task of the step the job waits for; False if it waits for none or the send failed.

    Never raises: if the broker is down the job keeps waiting, `enqueued_at` empty, and the
    sweeper sends it later.
    """
    waiting = kind.rows().filter(pk=pk, state__in=kind.waiting_states, claimed_at__isnull=True)
    state = waiting.values_list("state", flat=True).first()
    if state is None:
        return False  # claimed or finished meanwhile: nothing to send
    step = kind.step(state)
    # Stamped first: with eager tasks (no Redis) the job is done before delay() returns.
    waiting.update(enqueued_at=timezone.now())
    try:
        task = _task(step.task)
        if countdown:
            task.apply_async((pk,), countdown=countdown)
        else:
            task.delay(pk)
    except Exception:
        logger.exception("%s %s: could not enqueue, the sweeper will retry", kind.name, pk)
        waiting.update(enqueued_at=None)
        return False
    return True


def enqueue_on_commit(kind: JobKind, pk: int, *, countdown: int | None = None) -> None:
    """`enqueue` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, kind, pk, countdown=countdown))


def _task(name: str) -> Task:  # type: ignore[type-arg]
    """The registered task `name`. A web process may not have imported the apps' tasks modules
    yet (services never import them): import them as a worker does at start."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    task: Task = app.tasks[name]  # type: ignore[type-arg]
    return task


def sweep(kind: JobKind, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Requeue jobs a dead worker left claimed, send jobs never picked up, fail exhausted ones.

    Should a lost message turn up after all, the second delivery does no harm: the claim lets
    one through. `now` lets a test look from later on.
    """
    now = now or timezone.now()
    stuck_before = now - kind.time_limit() - STUCK_MARGIN
    unpicked_before = now - UNPICKED_AFTER
    claimed = Q(state__in=kind.running_states, claimed_at__lt=stuck_before)
    waiting = Q(state__in=kind.waiting_states, claimed_at__isnull=True) & (
        Q(enqueued_at__lt=unpicked_before)
        | Q(enqueued_at__isnull=True, updated_at__lt=unpicked_before)
    )
    failed = requeued = 0
    to_send: list[int] = []
    with transaction.atomic():
        rows = (
            kind.model._default_manager.select_for_update(skip_locked=True)
            .filter(claimed | waiting)
            .order_by("pk")
            .values_list("pk", "state", "attempts", "max_attempts", "claimed_at")
        )
        for pk, state, attempts, max_attempts, claimed_at in rows:
            if attempts >= max_attempts:
                failed += fail(kind, pk, kind.exhausted_message)
                continue
            if claimed_at is not None:
                step = kind.step(state)
                message = step.requeued_message
                requeued += wait(
                    kind, pk, (state,), step, progress_percent=0, progress_message=message
                )
            to_send.append(pk)
    enqueued = sum(enqueue(kind, pk) for pk in to_send)
    if failed or requeued or enqueued:
        logger.warning(
            "%s sweep: %s failed, %s requeued, %s enqueued", kind.name, failed, requeued, enqueued
        )
    return {"failed": failed, "requeued": requeued, "enqueued": enqueued}
