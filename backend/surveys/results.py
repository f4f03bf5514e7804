"""Results for the office: per course, per provider and for the service, with the
response rate (R15).

Two rules keep any one family's answer from being read off:
- a subject (or provider) with fewer than MIN_RESPONSES responses shows only its count,
  and a provider's average counts only its courses that are shown;
- averages and texts appear only once the survey has closed. While it is open, the office
  sees counts: otherwise reading the results before and after one family answers (the
  audit log says who answered when) would give away that family's answer by difference.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import now
from backend.common.xlsx import workbook
from backend.courses.queries import course_facts, provider_names, term_course_ids
from backend.database import get_session
from backend.signup.queries import enrolled_ids
from backend.surveys.answering import SERVICE_NAME
from backend.surveys.authoring import questions_of, survey_of
from backend.surveys.models import SERVICE, SurveyAnswered, SurveyTally, subject_key
from backend.surveys.queries import MIN_RESPONSES, score_sum


def _avg(total: int, n: int) -> float | None:
    """The mean to two places, or None without scores."""
    return round(total / n, 2) if n else None


def _subject(base: dict, questions, tallies: dict, closed: bool) -> dict:
    """One subject's block; averages and texts only after the close, from MIN_RESPONSES."""
    responses = max((t.responses for t in tallies.values()), default=0)
    out = {**base, "responses": responses}
    shown = closed and responses >= MIN_RESPONSES
    total = n = 0
    rows = []
    for q in questions:
        t = tallies.get(q.id)
        item = {"id": q.id, "text": q.text, "kind": q.kind}
        if shown and t is not None and q.kind == "score":
            qt, qn = score_sum(t.counts())
            total, n = total + qt, n + qn
            item["average"] = _avg(qt, qn)
        if shown and t is not None and q.kind == "text":
            item["texts"] = list(t.texts or [])
        rows.append(item)
    out["questions"] = rows
    if shown and n:
        out["average"] = _avg(total, n)
    out["_shown"] = shown
    return out


def _providers(subjects: list[dict], tallies_by_subject: dict, names: dict) -> list[dict]:
    """Per provider: its courses' responses and, from MIN_RESPONSES on, their average."""
    acc: dict = defaultdict(lambda: {"responses": 0, "total": 0, "n": 0})
    for s in subjects:
        pid = s.get("provider_id")
        if s["kind"] != "course" or pid is None:
            continue
        acc[pid]["responses"] += s["responses"]
        if not s["_shown"]:
            continue
        for t, kind in tallies_by_subject.get(s["key"], []):
            if kind == "score":
                total, n = score_sum(t.counts())
                acc[pid]["total"] += total
                acc[pid]["n"] += n
    out = []
    for pid in sorted(acc):
        a = acc[pid]
        row = {"provider_id": pid, "name": names.get(pid, ""), "responses": a["responses"]}
        if a["n"]:  # only shown courses (>= MIN_RESPONSES each) have scores here
            row["average"] = _avg(a["total"], a["n"])
        out.append(row)
    return out


def compute(session, survey) -> dict:
    """The results of one survey (no access check: callers scope it)."""
    questions = questions_of(session, survey.id)
    kinds = {q.id: q.kind for q in questions}
    tallies = session.scalars(sa.select(SurveyTally).where(SurveyTally.survey_id == survey.id))
    by_subject: dict = defaultdict(dict)
    with_kind: dict = defaultdict(list)
    for t in tallies:
        by_subject[t.subject][t.question_id] = t
        with_kind[t.subject].append((t, kinds.get(t.question_id)))
    course_ids = set(term_course_ids(session, survey.term_id))
    course_ids |= {t.course_id for s in by_subject.values() for t in s.values() if t.course_id}
    facts = course_facts(session, course_ids)
    names = provider_names(session, {f["provider_id"] for f in facts.values()})
    closed = survey.closes_at <= now()
    service = {"kind": "service", "name": SERVICE_NAME}
    subjects = [_subject(service, questions, by_subject[SERVICE], closed)]
    subjects[0]["key"] = SERVICE
    for cid in sorted(facts):
        key = subject_key("course", cid)
        base = {"kind": "course", "course_id": cid, "name": facts[cid]["name"]}
        base["provider_id"] = facts[cid]["provider_id"]
        block = _subject(base, questions, by_subject.get(key, {}), closed)
        block["key"] = key
        subjects.append(block)
    providers = _providers(subjects, with_kind, names)
    for s in subjects:
        s.pop("key"), s.pop("_shown")
    answered = session.scalar(
        sa.select(sa.func.count()).where(SurveyAnswered.survey_id == survey.id)
    )
    asked = len(enrolled_ids(session, survey.term_id))
    return {
        "survey_id": survey.id,
        "title": survey.title,
        "responses": answered,
        "asked": asked,
        "response_rate": round(answered / asked, 4) if asked else None,
        "closed": closed,
        "min_responses": MIN_RESPONSES,
        "subjects": subjects,
        "providers": providers,
    }


def admin_results(school_id: int, survey_id: int) -> dict:
    """The office's view of a survey's results."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    return compute(session, survey_of(session, school_id, survey_id))


def admin_results_xlsx(school_id: int, survey_id: int):
    """(workbook, filename): the subjects with their question averages, and the texts."""
    data = admin_results(school_id, survey_id)
    questions = data["subjects"][0]["questions"] if data["subjects"] else []
    header = ["类别", "名称", "服务机构编号", "回答数", "平均分"] + [q["text"] for q in questions]
    rows = []
    texts = []
    for s in data["subjects"]:
        kind = "整体服务" if s["kind"] == "service" else "课程"
        row = [kind, s["name"], s.get("provider_id"), s["responses"], s.get("average")]
        row += [q.get("average") for q in s["questions"]]
        rows.append(row)
        for q in s["questions"]:
            texts += [[s["name"], q["text"], t] for t in q.get("texts", [])]
    summary = [
        ["回答数", data["responses"]],
        ["应答人数", data["asked"]],
        ["回答率", data["response_rate"]],
        ["少于此数只显示回答数", MIN_RESPONSES],
    ]
    providers = [
        [p["provider_id"], p["name"], p["responses"], p.get("average")] for p in data["providers"]
    ]
    book = workbook(
        [
            ("概况", ["项目", "数值"], summary),
            ("各项结果", header, rows),
            ("服务机构", ["编号", "名称", "回答数", "平均分"], providers),
            ("文字意见", ["对象", "题目", "意见"], texts),
        ]
    )
    return book, f"survey-{survey_id}-results.xlsx"
