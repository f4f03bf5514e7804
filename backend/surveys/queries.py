"""Reads of the survey domain that other domains ask for (the provider list's flag)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from backend.common.clock import now
from backend.surveys.models import Survey, SurveyQuestion, SurveySettings, SurveyTally

DEFAULT_THRESHOLD = Decimal("3.00")
LOW_MIN_RESPONSES = 10  # a provider is judged on at least this many course responses in a term
# Below this many responses a subject shows its count only, and counts towards nothing else
# (a provider's average would otherwise give away a small course's answers by difference).
MIN_RESPONSES = 5


def low_threshold(session, school_id: int) -> Decimal:
    """The school's threshold below which a provider's average counts as low."""
    value = session.scalar(
        sa.select(SurveySettings.low_threshold).where(SurveySettings.school_id == school_id)
    )
    return DEFAULT_THRESHOLD if value is None else Decimal(value)


def score_sum(counts) -> tuple[int, int]:
    """(sum of scores, number of scores) of a 1-5 histogram."""
    return sum(i * c for i, c in enumerate(counts, start=1)), sum(counts)


def _course_tallies(session, school_id: int):
    """Course tallies of the school's closed surveys, from MIN_RESPONSES responses on."""
    return session.execute(
        sa.select(SurveyTally, Survey.term_id, Survey.closes_at, SurveyQuestion.kind)
        .join(Survey, Survey.id == SurveyTally.survey_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyTally.question_id)
        .where(
            Survey.school_id == school_id,
            Survey.closes_at <= now(),
            SurveyTally.course_id.is_not(None),
            SurveyTally.responses >= MIN_RESPONSES,
        )
    ).all()


def provider_term_scores(session, school_id: int) -> dict[int, dict[int, dict]]:
    """{provider id: {term id: {responses, total, n, last}}} over its courses' answers in
    closed surveys (courses with fewer than MIN_RESPONSES responses left out)."""
    from backend.courses.queries import course_facts

    rows = _course_tallies(session, school_id)
    facts = course_facts(session, {r.SurveyTally.course_id for r in rows})
    per_subject: dict[tuple, int] = {}
    out: dict = defaultdict(lambda: defaultdict(lambda: {"responses": 0, "total": 0, "n": 0}))
    for tally, term_id, closes_at, kind in rows:
        provider_id = facts.get(tally.course_id, {}).get("provider_id")
        if provider_id is None:
            continue
        key = (provider_id, term_id, tally.survey_id, tally.course_id)
        per_subject[key] = max(per_subject.get(key, 0), tally.responses)
        slot = out[provider_id][term_id]
        slot["last"] = max(slot.get("last", closes_at), closes_at)
        if kind == "score":
            total, n = score_sum(tally.counts())
            slot["total"] += total
            slot["n"] += n
    for (provider_id, term_id, _, _), responses in per_subject.items():
        out[provider_id][term_id]["responses"] += responses
    return out


def low_satisfaction_provider_ids(session, school_id: int) -> set[int]:
    """Providers whose courses averaged below the school's threshold in the latest term
    with at least LOW_MIN_RESPONSES course responses (the evidence for renewal, R15)."""
    threshold = low_threshold(session, school_id)
    low = set()
    for provider_id, terms in provider_term_scores(session, school_id).items():
        judged = [t for t in terms.values() if t["responses"] >= LOW_MIN_RESPONSES and t["n"]]
        if not judged:
            continue
        latest = max(judged, key=lambda t: t["last"])
        if Decimal(latest["total"]) / latest["n"] < threshold:
            low.add(provider_id)
    return low


def service_averages(session, term_ids) -> dict[int, float]:
    """{term id: average score of the service as a whole} over the terms' closed surveys,
    from MIN_RESPONSES responses on (one grouped query; the district overview's figure)."""
    ids = list(term_ids)
    if not ids:
        return {}
    t = SurveyTally
    scores = t.n1 + 2 * t.n2 + 3 * t.n3 + 4 * t.n4 + 5 * t.n5
    rows = session.execute(
        sa.select(
            Survey.term_id, sa.func.sum(scores), sa.func.sum(t.n1 + t.n2 + t.n3 + t.n4 + t.n5)
        )
        .join(Survey, Survey.id == t.survey_id)
        .join(SurveyQuestion, SurveyQuestion.id == t.question_id)
        .where(
            Survey.term_id.in_(ids),
            Survey.closes_at <= now(),
            t.course_id.is_(None),
            SurveyQuestion.kind == "score",
            t.responses >= MIN_RESPONSES,
        )
        .group_by(Survey.term_id)
    )
    return {term_id: round(total / n, 2) for term_id, total, n in rows if n}
