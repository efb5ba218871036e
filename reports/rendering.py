"""Snapshot → HTML (Django templates) → PDF (WeasyPrint). The only module importing weasyprint.

WeasyPrint fetches nothing but our own static files: `safe_fetcher` serves `static:<path>` (found
by the staticfiles finders) and `file:` URLs inside a static directory, lets `data:` through, and
refuses everything else (http, https, ftp, files elsewhere). User text reaches the page only
through auto-escaped template variables; charts are SVG built by `reports.charts`.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import charts
from .choices import ReportKind

TEMPLATES = {
    "city": "reports/city.html",
    "national": "reports/national.html",
    "assessment": "reports/assessment.html",
    "dossier": "reports/dossier.html",
}
# A report's one name (request buttons, job page, PDF title, file name): its ReportKind label.
TITLES = {kind.value: kind.label for kind in ReportKind}


class FetchRefused(ValueError):
    """WeasyPrint asked for something that is not one of our static files."""


def _static_roots() -> list[Path]:
    roots = [Path(d).resolve() for d in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT).resolve())
    for app in apps.get_app_configs():
        candidate = Path(app.path) / "static"
        if candidate.is_dir():
            roots.append(candidate.resolve())
    return roots


def _allowed_file(path: Path) -> Path:
    resolved = path.resolve()
    if resolved.is_file() and any(resolved.is_relative_to(root) for root in _static_roots()):
        return resolved
    raise FetchRefused(f"不允许读取静态目录以外的文件：{path}")


class SafeFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves only our static files (and data: URLs)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), fail_on_errors=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "static":
            name = unquote(url.split(":", 1)[1]).lstrip("/")
            if ".." in Path(name).parts:
                raise FetchRefused(f"不允许读取静态目录以外的文件：{name}")
            found = finders.find(name)
            if not found:
                raise FetchRefused(f"找不到静态文件：{name}")
            path = _allowed_file(Path(str(found)))
        elif scheme == "file":
            path = _allowed_file(Path(unquote(urlsplit(url).path)))
        else:
            raise FetchRefused(f"报告渲染不访问外部地址：{url}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


safe_fetcher = SafeFetcher()

# WeasyPrint logs every layout step at INFO; keep its real warnings and errors only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _charts(kind: str, snapshot: dict[str, Any]) -> dict[str, str]:
    if kind == "dossier":
        return {}  # tables only
    if kind == "city":
        dist = snapshot["distribution"]
        trend = snapshot["trend"]
        return {
            "distribution": charts.stacked_bars(
                dist["categories"],
                [(s["name"], s["data"]) for s in dist["series"]],
                title="各细分行业基线与当前等级分布",
            ),
            "trend": charts.line_with_projection(
                trend["labels"],
                [_num(v) for v in trend["actual"]],
                [_num(v) for v in trend["projected"]],
                needed=_num(trend["needed"]),
                title="达标企业数月度趋势与预测",
            ),
        }
    if kind == "national":
        regions, batches = snapshot["regions"], snapshot["batches"]
        return {
            "regions": charts.grouped_bars(
                [r["name"] for r in regions],
                [
                    ("城市数", [r["cities"] for r in regions]),
                    ("达标城市", [r["compliant"] for r in regions]),
                ],
                title="按区域比较",
                whole=True,
            ),
            "region_share": charts.grouped_bars(
                [r["name"] for r in regions],
                [("达标企业占比（%）", [_num(r["share_percent"]) for r in regions])],
                title="按区域的达标企业占比",
                max_value=100,
            ),
            "batches": charts.grouped_bars(
                [f"{b['year']} 年批次" for b in batches],
                [
                    ("城市数", [b["cities"] for b in batches]),
                    ("达标城市", [b["compliant"] for b in batches]),
                ],
                title="按批次比较",
                whole=True,
            ),
        }
    dims = snapshot["dimensions"]
    if not dims:
        return {}
    return {
        "dimensions": charts.grouped_bars(
            [d["name"] for d in dims],
            [
                ("得分", [_num(d["score"]) for d in dims]),
                ("满分", [_num(d["max"]) for d in dims]),
            ],
            title="三个维度得分与满分对比",
        )
    }


def render_html(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> str:
    if kind not in TEMPLATES:
        raise ValueError(f"未知的报告类型：{kind}")
    context = {
        "s": snapshot,
        "kind": kind,
        "title": TITLES[kind],
        "snapshot_hash": snapshot_hash,
        # Built from escaped text by reports.charts: safe to embed as markup.
        "charts": {k: mark_safe(v) for k, v in _charts(kind, snapshot).items()},  # noqa: S308
    }
    return render_to_string(TEMPLATES[kind], context)


def _base_url() -> str:
    css = finders.find("reports/pdf.css")
    return Path(str(css)).parent.as_uri() + "/" if css else Path(settings.BASE_DIR).as_uri() + "/"


def render_document(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> Any:
    """The laid-out WeasyPrint document (its `.pages` give the page count)."""
    html = render_html(kind, snapshot, snapshot_hash=snapshot_hash)
    return render_html_document(html)


def render_html_document(html: str) -> Any:
    return HTML(string=html, base_url=_base_url(), url_fetcher=safe_fetcher).render()


def render_pdf(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes:
    pdf: bytes = render_document(kind, snapshot, snapshot_hash=snapshot_hash).write_pdf()
    return pdf
