"""The load test's users, one class per role, against a running site (`bench.load` starts it).

- EnterpriseUser: logs in, opens its draft questionnaire and answers it item by item the way the
  page does (htmx POST to /assessments/<pk>/autosave/ with the field's `base_version`, taking the
  new version from the response's out-of-band input); 2-8 s between saves; goes back to change an
  earlier answer now and then; sometimes reloads the page; once complete, opens the submit page
  (score preview) and keeps revising.
- CityOfficialUser: its own city's dashboard (today; a page of the "closest to the next level"
  list; sometimes a past month-end, measured apart as `city_dashboard_history`) and its 待办 work
  queue (`city_work_queue`); 5-15 s apart.
- AssessorUser: every 10-30 s, its city's 待评定 queue (`assessor_queue`), then one on-site
  assessment through the pages: started from a queued self-assessment (`onsite_start`, prefilled),
  opened (`onsite_questionnaire`), sometimes one answer re-rated (`onsite_autosave`), the
  confirmation preview, and the confirmation with the previewed `edit_version`
  (`assessor_confirm`): the services recompute the kept level and invalidate the city's
  dashboard cache, as a real confirmation does.
- MinistryUser: the national dashboard (sorted and filtered differently), 5-15 s apart; now and
  then requests a report (national, or a city's), follows the redirect, polls the progress
  fragment every second as the page does until done, and downloads the PDF.
- FloorUser: GET /healthz about once a second: the same gunicorn serving a view that does
  nothing, the floor the other groups are compared with.

Environment (set by bench.load): LOAD_ACCOUNTS (JSON from bench.load_data), LOAD_MIX
("enterprise=34,city=8,ministry=4,assessor=2,floor=2"), LOAD_WARMUP and LOAD_DURATION (seconds;
samples are kept only in the window that starts LOAD_WARMUP seconds after the last user has
logged in), and LOAD_RESULTS (where the raw samples are written as JSON when the window closes).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task
from locust.env import Environment

MANIFEST: dict[str, Any] = json.loads(
    Path(os.environ.get("LOAD_ACCOUNTS", "bench/out/load/accounts.json")).read_text("utf-8")
)
WARMUP = float(os.environ.get("LOAD_WARMUP", "20"))
DURATION = float(os.environ.get("LOAD_DURATION", "60"))
RESULTS = Path(os.environ.get("LOAD_RESULTS", "bench/out/load/samples.json"))
MIX = {
    role: int(count)
    for role, count in (
        part.split("=") for part in os.environ.get("LOAD_MIX", "enterprise=1").split(",") if part
    )
}
REPORT_POLL_LIMIT = 180  # polls (seconds) before a report counts as stuck
WORK_QUEUE = "/projects/queue/"  # 待办 of city officials
ASSESSOR_QUEUE = "/assessments/assessor/queue/"  # 待评定 of on-site assessors

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
BASE_VERSION = re.compile(r'id="bv-([^"]+)" value="(\d+)"')
EDIT_VERSION = re.compile(r'name="edit_version" value="(\d+)"')
ONSITE_START = re.compile(r'action="/assessments/assessor/([^/"]+)/start/"')
ONSITE_DRAFT = re.compile(r'href="/assessments/(\d+)/">继续评定')
SELECTED = re.compile(r'<option value="(\w+)" selected>')
ASSESSMENT_URL = re.compile(r"/assessments/(\d+)/")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# As behind the TLS-terminating proxy (nginx): the app sees https (SECURE_PROXY_SSL_HEADER), so
# production settings apply unchanged (SSL redirect, Secure cookies, CSRF origin checks).
BEHIND_PROXY = {"X-Forwarded-Proto": "https"}

# --- the measurement window and its samples ------------------------------------------------

_window: dict[str, float | None] = {"start": None, "end": None}
_samples: dict[str, list[float]] = defaultdict(list)
_errors: dict[str, Counter[str]] = defaultdict(Counter)
_statuses: dict[str, Counter[str]] = defaultdict(Counter)
_notes: Counter[str] = Counter()
# Logins happen before the window (once per simulated user): kept apart, errors included.
RAMP_UP = ("login_page", "login")
_ramp_samples: dict[str, list[float]] = defaultdict(list)
_ramp_errors: dict[str, Counter[str]] = defaultdict(Counter)


_ready: list[float] = []  # when each user finished its on_start (login, first page)
READY_TIMEOUT = 600.0


def ready() -> None:
    _ready.append(time.time())


def _in_window() -> bool:
    return _window["start"] is not None and _window["end"] is None


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None = None,
    response: Any = None,
    **_: Any,
) -> None:
    status = getattr(response, "status_code", None)
    if name in RAMP_UP and _window["end"] is None:
        _ramp_samples[name].append(response_time)
        if exception is not None:
            _ramp_errors[name][f"{status}: {str(exception)[:120]}"] += 1
    if not _in_window():
        return
    _samples[name].append(response_time)
    _statuses[name][str(status)] += 1
    if exception is not None:
        _errors[name][f"{status}: {str(exception)[:120]}"] += 1


def note(what: str) -> None:
    """Count an event of the scenario (a conflict, a render finished) inside the window."""
    if _in_window():
        _notes[what] += 1


@events.spawning_complete.add_listener
def _start_window(user_count: int, **_: Any) -> None:
    gevent.spawn(_run_window, user_count)


_environment: list[Environment] = []


@events.init.add_listener
def _keep_environment(environment: Environment, **_: Any) -> None:
    _environment.append(environment)


def _run_window(user_count: int) -> None:
    """Wait until every user has logged in (a login is ~1M PBKDF2 rounds, a burst no real
    morning has at this rate), then the warm-up, then keep samples for DURATION seconds."""
    spawned = time.time()
    while len(_ready) < user_count and time.time() - spawned < READY_TIMEOUT:
        gevent.sleep(0.5)
    all_ready = time.time()
    gevent.sleep(WARMUP)
    _window["start"] = time.time()
    gevent.sleep(DURATION)
    _window["end"] = time.time()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "users": user_count,
                "ready_users": len(_ready),
                "ready_after_spawn_s": round(all_ready - spawned, 1),
                "mix": MIX,
                "window": [_window["start"], _window["end"]],
                "samples": _samples,
                "errors": {k: dict(v) for k, v in _errors.items()},
                "statuses": {k: dict(v) for k, v in _statuses.items()},
                "notes": dict(_notes),
                "ramp_up": {
                    "samples": _ramp_samples,
                    "errors": {k: dict(v) for k, v in _ramp_errors.items()},
                },
            }
        ),
        encoding="utf-8",
    )
    runner = _environment[0].runner if _environment else None
    if runner is not None:
        runner.quit()


# --- shared steps --------------------------------------------------------------------------

_accounts = {role: itertools.count() for role in ("enterprise", "city", "assessor", "ministry")}


_addresses = itertools.count(1)


def _next_account(role: str) -> Any:
    pool = MANIFEST[role]
    return pool[next(_accounts[role]) % len(pool)]


class SiteUser(FastHttpUser):
    abstract = True
    default_headers = BEHIND_PROXY
    username = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The browser talks https to the proxy: it keeps and sends the Secure cookies.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("http", "https")))
        self.origin = "https://" + (self.host or "").split("://", 1)[-1].rstrip("/")
        # Each request names its group in X-Request-ID (nginx sets one in production), so the
        # access log's server-side times can be grouped exactly as the client's.
        # and each simulated browser has an address of its own (X-Real-IP, set by nginx: what
        # django-axes and the logs see with BEHIND_PROXY).
        n = next(_addresses)
        client_ip = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        send = self.client.request

        def tagged(method: str, url: str, name: str | None = None, **kwargs: Any) -> Any:
            headers = {
                "X-Request-ID": f"{name or 'other'}.{uuid.uuid4().hex[:16]}",
                "X-Real-IP": client_ip,
            }
            headers.update(kwargs.pop("headers", None) or {})
            return send(method, url, name=name, headers=headers, **kwargs)

        self.client.request = tagged  # type: ignore[method-assign,assignment]

    def get_page(self, path: str, name: str) -> Any:
        """A page or fragment that must answer 200 itself: a redirect (to the login page, say)
        is an error here, not something to follow."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as page:
            if page.status_code != 200:
                location = page.headers.get("Location", "") if page.headers else ""
                page.failure(f"{page.status_code} {location}".strip())
        return page

    def post_form(self, path: str, body: Any, *, referer: str, **kwargs: Any) -> Any:
        """A form or htmx POST as a browser sends it: urlencoded, with Origin and Referer."""
        headers = {
            **FORM,
            "Origin": self.origin,
            "Referer": self.origin + referer,
            **kwargs.pop("headers", {}),
        }
        return self.client.post(path, data=urlencode(body), headers=headers, **kwargs)

    def login(self) -> None:
        page = self.get_page("/login/", "login_page")
        token = CSRF_INPUT.search(page.text or "")
        body = {
            "username": self.username,
            "password": MANIFEST["password"],
            "csrfmiddlewaretoken": token.group(1) if token else "",
        }
        with self.post_form(
            "/login/",
            body,
            referer="/login/",
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.username} answered {response.status_code}")

    def csrf_cookie(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value or ""
        return ""


# --- enterprises ---------------------------------------------------------------------------


SCENE_WEIGHTS = [10, 35, 35, 15, 5]  # 未达一级, 1 … 4 级


def _answer(rng: random.Random, item: dict[str, Any]) -> list[tuple[str, str]]:
    """A valid value for one questionnaire item, as the page posts it (name = field)."""
    code = item["field"]
    if item["type"] == "single":
        return [(code, rng.choice(item["options"]))]
    if item["type"] == "multi":
        exclusive = item["exclusive"]
        others = [o for o in item["options"] if o not in exclusive]
        if exclusive and rng.random() < 0.1:
            return [(code, exclusive[0])]
        chosen = rng.sample(others, rng.randint(1, min(4, len(others))))
        return [(code, c) for c in sorted(chosen)]
    if item["type"] == "scene":
        weights = SCENE_WEIGHTS[: len(item["levels"])]
        return [(code, str(rng.choices(item["levels"], weights=weights)[0]))]
    if item["kind"] == "count":
        return [(code, str(rng.randint(5, 400)))]
    return [(code, f"{rng.uniform(10, 5000):.2f}")]


def _items(indicator: dict[str, Any]) -> list[dict[str, Any]]:
    """The questionnaire in page order: each question, its data inputs, then the scenes."""
    items: list[dict[str, Any]] = []
    kinds = indicator["data_fields"]
    for q in indicator["questions"]:
        items.append(
            {
                "field": q["code"],
                "slug": q["code"],
                "type": q["kind"],
                "options": q["options"],
                "exclusive": q["exclusive"],
            }
        )
        for code in q["data"]:
            field = f"data:{code}"
            items.append(
                {
                    "field": field,
                    "slug": field.replace(":", "-"),
                    "type": "data",
                    "kind": kinds[code],
                }
            )
    for s in indicator["scenes"]:
        items.append(
            {"field": s["code"], "slug": s["code"], "type": "scene", "levels": s["levels"]}
        )
    return items


ITEMS = _items(MANIFEST["indicator"])
# What an assessor re-rates on site: questions and scenes (the optional data stays as it is).
ANSWERED_ITEMS = [item for item in ITEMS if item["type"] != "data"]


class QuestionnaireUser(SiteUser):
    """Opens a questionnaire page and autosaves its fields as the page does (enterprises on
    their self-assessment, assessors on an on-site assessment)."""

    abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assessment = 0
        self.versions: dict[str, str] = {}
        self.csrf = ""
        self.rng = random.Random()

    def open_questionnaire(self, name: str = "questionnaire") -> None:
        page = self.get_page(f"/assessments/{self.assessment}/", name)
        text = page.text or ""
        self.versions.update(BASE_VERSION.findall(text))
        header = CSRF_HEADER.search(text)
        self.csrf = header.group(1) if header else self.csrf_cookie()

    def autosave(self, item: dict[str, Any], name: str = "autosave") -> None:
        body = [
            ("field", item["field"]),
            ("base_version", self.versions.get(item["slug"], "0")),
            *_answer(self.rng, item),
        ]
        page = f"/assessments/{self.assessment}/"
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": self.origin + page,
            "HX-Target": "save-status",
            "X-CSRFToken": self.csrf,
        }
        with self.post_form(
            f"{page}autosave/",
            body,
            referer=page,
            headers=headers,
            name=name,
            catch_response=True,
        ) as response:
            text = response.text or ""
            if response.status_code == 200:
                found = dict(BASE_VERSION.findall(text))
                if item["slug"] in found:
                    self.versions[item["slug"]] = found[item["slug"]]
                    response.success()
                else:
                    response.failure("saved without the new base_version")
            elif response.status_code == 409:
                note(f"{name}_conflict")
                response.failure("409 conflict: another save of this field overtook ours")
                self.open_questionnaire()  # what a person does when told to refresh
            else:
                response.failure(f"{response.status_code}: {text[:200]}")


class EnterpriseUser(QuestionnaireUser):
    fixed_count = MIX.get("enterprise", 0)
    wait_time = between(2, 8)

    def on_start(self) -> None:
        account = _next_account("enterprise")
        self.username = account["username"]
        self.assessment = account["assessment"]
        self.rng = random.Random(self.username)
        self.position = 0  # the next unanswered item, in page order
        self.login()
        self.get_page("/assessments/", "assessment_list")
        self.open_questionnaire()
        ready()

    @task
    def answer_next(self) -> None:
        if self.rng.random() < 0.03:
            self.open_questionnaire()  # a reload, or coming back to the page later
        if self.position < len(ITEMS) and self.rng.random() > 0.15:
            item = ITEMS[self.position]
            self.position += 1
        else:
            # Going back to change an earlier answer (or reviewing a complete questionnaire).
            item = ITEMS[self.rng.randrange(max(1, self.position))]
        if self.position == len(ITEMS) and self.rng.random() < 0.2:
            self.get_page(f"/assessments/{self.assessment}/submit/", "submit_preview")
        self.autosave(item)


# --- city officials ------------------------------------------------------------------------


def _month_ends(count: int) -> list[str]:
    day = dt.date.today().replace(day=1)
    ends = []
    for _ in range(count):
        day -= dt.timedelta(days=1)
        ends.append(day.isoformat())
        day = day.replace(day=1)
    return ends


MONTH_ENDS = _month_ends(6)


class CityOfficialUser(SiteUser):
    fixed_count = MIX.get("city", 0)
    wait_time = between(5, 15)

    def on_start(self) -> None:
        account = _next_account("city")
        self.username = account["username"]
        self.url = f"/cities/{account['city']}/dashboard/"
        self.rng = random.Random(self.username)
        self.login()
        self.get_page(self.url, "city_dashboard")
        ready()

    @task(6)
    def dashboard(self) -> None:
        self.get_page(self.url, "city_dashboard")

    @task(2)
    def closest_page(self) -> None:
        page = self.rng.randint(2, 5)
        self.get_page(f"{self.url}?closest_page={page}", "city_dashboard")

    @task(1)
    def history(self) -> None:
        as_of = self.rng.choice(MONTH_ENDS)
        self.get_page(f"{self.url}?as_of={as_of}", "city_dashboard_history")

    @task(2)
    def work_queue(self) -> None:
        self.get_page(WORK_QUEUE, "city_work_queue")


# --- on-site assessors ---------------------------------------------------------------------


class AssessorUser(QuestionnaireUser):
    """Its city's 待评定 queue, then one on-site assessment confirmed through the pages: start it
    from a queued self-assessment (prefilled with its answers), open it, now and then correct
    an answer, open the confirmation preview and confirm with the version it showed. The
    confirmation goes through the services (kept level, the city's dashboards invalidated, the
    enterprise notified). Every 10-30 s."""

    fixed_count = MIX.get("assessor", 0)
    wait_time = between(10, 30)

    def on_start(self) -> None:
        account = _next_account("assessor")
        self.username = account["username"]
        self.rng = random.Random(self.username)
        self.login()
        self.get_page(ASSESSOR_QUEUE, "assessor_queue")
        ready()

    def _queue(self) -> list[tuple[str, str, str]]:
        """(uscc, purpose, on-site draft id or "") of each row of the queue's first page."""
        page = self.get_page(ASSESSOR_QUEUE, "assessor_queue")
        rows = []
        for chunk in (page.text or "").split("<tr data-uscc=")[1:]:
            start = ONSITE_START.search(chunk)
            draft = ONSITE_DRAFT.search(chunk)
            if draft:
                rows.append(("", "", draft.group(1)))
            elif start:
                selected = SELECTED.search(chunk)
                rows.append((start.group(1), selected.group(1) if selected else "baseline", ""))
        return rows

    def _start(self, uscc: str, purpose: str) -> int | None:
        body = {"purpose": purpose, "csrfmiddlewaretoken": self.csrf_cookie()}
        with self.post_form(
            f"/assessments/assessor/{uscc}/start/",
            body,
            referer=ASSESSOR_QUEUE,
            name="onsite_start",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            found = ASSESSMENT_URL.fullmatch(location)
            if response.status_code != 302 or not found:
                response.failure(f"{response.status_code} → {location!r}")
                return None
        return int(found.group(1))

    @task
    def confirm_one(self) -> None:
        rows = self._queue()
        if not rows:
            note("assessor_queue_empty")
            return
        uscc, purpose, draft = self.rng.choice(rows)
        pk = int(draft) if draft else self._start(uscc, purpose)
        if pk is None:
            return
        self.assessment = pk
        self.versions = {}
        self.open_questionnaire("onsite_questionnaire")
        gevent.sleep(self.rng.uniform(1, 3))  # checking the prefilled answers
        if self.rng.random() < 0.3:
            # A correction on site: a scene or question rated differently from the enterprise.
            self.autosave(self.rng.choice(ANSWERED_ITEMS), name="onsite_autosave")
        preview = self.get_page(f"/assessments/{pk}/confirm/preview/", "confirm_preview")
        shown = EDIT_VERSION.search(preview.text or "")
        if preview.status_code != 200 or shown is None:
            return  # the failure (or a preview without its form) is recorded already or below
        gevent.sleep(self.rng.uniform(1, 3))  # reading the preview
        body = {"edit_version": shown.group(1), "csrfmiddlewaretoken": self.csrf_cookie()}
        with self.post_form(
            f"/assessments/{pk}/confirm/",
            body,
            referer=f"/assessments/{pk}/confirm/preview/",
            name="assessor_confirm",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or location != f"/assessments/{pk}/result/":
                response.failure(f"{response.status_code} → {location!r}")
                return
        note("assessor_confirmed")
        self.get_page(location, "assessment_result")


# --- ministry ------------------------------------------------------------------------------

NATIONAL_VIEWS = ["", "", "", "?sort=-rate", "?sort=city", "?batch=2024", "?region=east"]


class MinistryUser(SiteUser):
    fixed_count = MIX.get("ministry", 0)
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.username = _next_account("ministry")
        self.rng = random.Random(self.username)
        self.login()
        self.get_page("/dashboard/", "national_dashboard")
        ready()

    @task(5)
    def national_dashboard(self) -> None:
        self.get_page(f"/dashboard/{self.rng.choice(NATIONAL_VIEWS)}", "national_dashboard")

    @task(1)
    def report(self) -> None:
        if self.rng.random() < 0.5:
            body = {"kind": "national"}
        else:
            body = {"kind": "city", "city_code": self.rng.choice(MANIFEST["cities"])}
        body["csrfmiddlewaretoken"] = self.csrf_cookie()
        with self.post_form(
            "/reports/request/",
            body,
            referer="/dashboard/",
            name="report_request",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 429:
                note("report_rate_limited")
                response.success()  # the product's own limit, not a failure
                return
            if response.status_code != 302 or not location.startswith("/reports/"):
                response.failure(f"{response.status_code} → {location!r}")
                return
        self.get_page(location, "report_detail")
        for _ in range(REPORT_POLL_LIMIT):
            with self.client.get(
                f"{location}progress/",
                name="report_status",
                allow_redirects=False,
                catch_response=True,
            ) as poll:
                text = poll.text or ""
                if poll.status_code != 200:
                    poll.failure(f"{poll.status_code}")
                    return
                if 'id="report-download"' in text:
                    break
                if 'id="report-error"' in text:
                    poll.failure("report generation failed")
                    return
            gevent.sleep(1)  # hx-trigger="every 1s"
        else:
            note("report_stuck")
            return
        note("report_done")
        self.get_page(f"{location}download/", "report_download")


# --- the floor -----------------------------------------------------------------------------


class FloorUser(SiteUser):
    fixed_count = MIX.get("floor", 0)
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        ready()

    @task
    def healthz(self) -> None:
        self.get_page("/healthz", "healthz")
