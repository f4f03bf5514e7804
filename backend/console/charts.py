"""ECharts options for the dashboard, built from the use cases' figures (no queries here)."""

from __future__ import annotations

FUNNEL = (
    ("submitted", "已提交"),
    ("approved", "审核通过"),
    ("in_publicity", "公示中"),
    ("enrolled", "已参加"),
)
LEVEL_ZH = {"class": "班级", "grade": "年级", "school": "学校"}


def _bar(title: str, names: list, series: list[tuple[str, list]], stack: bool = False) -> dict:
    return {
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 40, "right": 10, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": n, "type": "bar", "data": d, **({"stack": "all"} if stack else {})}
            for n, d in series
        ],
    }


def dashboard_charts(summary: dict, courses: list[dict]) -> dict:
    """The sign-up funnel, the review backlog per level and the fill of each course."""
    totals = summary["totals"]
    funnel = _bar("报名进度", [zh for _, zh in FUNNEL], [("人数", [totals[k] for k, _ in FUNNEL])])
    levels = summary.get("by_level") or []
    backlog = _bar(
        "各级审核积压",
        [LEVEL_ZH.get(r["level"], r["level"]) for r in levels],
        [
            ("待审", [r.get("waiting", 0) - r.get("overdue", 0) for r in levels]),
            ("超期", [r.get("overdue", 0) for r in levels]),
        ],
        stack=True,
    )
    fill = _bar(
        "课程选课情况",
        [c["name"] for c in courses],
        [
            ("已选", [c["seats_taken"] for c in courses]),
            ("余位", [c["seats_left"] for c in courses]),
            ("候补", [c["waitlist_length"] for c in courses]),
        ],
        stack=True,
    )
    return {"funnel": funnel, "backlog": backlog, "fill": fill}


def district_chart(rows: list[dict]) -> dict:
    """Participation per school, against the district's schools."""
    return _bar(
        "各校参与率（%）",
        [r["name"] for r in rows],
        [("参与率", [round((r["participation_rate"] or 0) * 100, 1) for r in rows])],
    )
