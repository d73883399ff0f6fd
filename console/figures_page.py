"""``/figures``: the managers' page (tables, server-side SVG charts, and
each table as CSV). Computing is in ``console.figures``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.auth import requires_role
from console.figures import PERIODS, Table, Window, compute
from console.pages import NAV, render
from handoff.hours import office_schedule

NAV.append(("/figures", "Số liệu", ("staff",)))
DEFAULT_DAYS = 30
MAX_DAYS = 366
CHART_WIDTH, CHART_HEIGHT, BAR_GAP, MAX_BAR_WIDTH = 640, 200, 4, 60


class BadWindow(ValueError):
    """Dates or period that cannot be read; the message is Vietnamese."""


def window_of(request: Request) -> Window:
    """The window the query asks for: ``from`` and ``to`` (both included), ``period``."""
    zone = office_schedule().zone
    today = dt.datetime.now(zone).date()
    query = request.query_params
    period = query.get("period", "day")
    if period not in PERIODS:
        raise BadWindow("Kỳ phải là ngày, tuần hoặc tháng.")
    try:
        last = dt.date.fromisoformat(query["to"]) if query.get("to") else today
        first = (
            dt.date.fromisoformat(query["from"]) if query.get("from") else last - dt.timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError:
        raise BadWindow("Ngày phải có dạng YYYY-MM-DD.") from None
    if first > last or (last - first).days >= MAX_DAYS:
        raise BadWindow(f"Từ ngày phải trước đến ngày, trong tối đa {MAX_DAYS} ngày.")
    return Window(first, last + dt.timedelta(days=1), period, zone)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup


def bar_chart(title: str, values: list[tuple[str, int]]) -> Chart:
    """A bar chart as inline SVG (no script, no external service); the table
    next to it carries the same numbers for screen readers."""
    top = max((v for _, v in values), default=0) or 1
    width = min(MAX_BAR_WIDTH, max(1, (CHART_WIDTH - BAR_GAP * len(values)) // max(1, len(values))))
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT + 20}" role="img" aria-label="{escape(title)}">'
    ]
    for i, (label, value) in enumerate(values):
        height = round((CHART_HEIGHT - 20) * value / top)
        x = i * (width + BAR_GAP)
        parts.append(
            f'<rect x="{x}" y="{CHART_HEIGHT - height}" width="{width}" height="{height}" fill="#1d4e89">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{x + width / 2}" y="{CHART_HEIGHT - height - 4}" text-anchor="middle" font-size="11" '
            f'fill="#1a1a1a">{value}</text>'
        )
        if len(values) <= 16:
            parts.append(
                f'<text x="{x + width / 2}" y="{CHART_HEIGHT + 14}" text-anchor="middle" font-size="10" '
                f'fill="#1a1a1a">{escape(label[-5:])}</text>'
            )
    parts.append("</svg>")
    return Chart(title, Markup("".join(parts)))


def charts(tables: list[Table]) -> list[Chart]:
    activity = next(t for t in tables if t.key == "activity")
    conversations: dict[str, int] = defaultdict(int)
    handoffs: dict[str, int] = defaultdict(int)
    for row in activity.rows:
        conversations[row[0]] += row[2]
        handoffs[row[0]] += row[6]
    return [
        bar_chart("Số hội thoại theo kỳ (mọi kênh)", sorted(conversations.items())),
        bar_chart("Số lần chuyển cán bộ theo kỳ (mọi kênh)", sorted(handoffs.items())),
    ]


@requires_role("staff")
async def figures_page(request: Request) -> Response:
    try:
        window = window_of(request)
    except BadWindow as exc:
        return render(request, "error.html", status_code=422, message=str(exc))
    tables = compute(window)
    query = f"period={window.period}&from={window.start}&to={window.end - dt.timedelta(days=1)}"
    return render(request, "figures.html", window=window, tables=tables, charts=charts(tables), query=query,
                  last_day=window.end - dt.timedelta(days=1))  # fmt: skip


@requires_role("staff")
async def figures_csv(request: Request) -> Response:
    try:
        window = window_of(request)
    except BadWindow as exc:
        return Response(str(exc), status_code=422, media_type="text/plain; charset=utf-8")
    key = request.path_params["table"]
    table = next((t for t in compute(window) if t.key == key), None)
    if table is None:
        return Response("Không có bảng này.", status_code=404, media_type="text/plain; charset=utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    filename = f"{key}-{window.start}-{window.end - dt.timedelta(days=1)}.csv"
    # A byte-order mark so that spreadsheet programs read Vietnamese as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


routes = [
    Route("/figures", figures_page),
    Route("/figures/{table}.csv", figures_csv),
]
