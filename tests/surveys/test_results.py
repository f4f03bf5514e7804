"""Results: the 5-response threshold, averages per question, subject and provider, the
response rate, the .xlsx export, and the low-satisfaction flag in the provider list."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests import factories as f
from tests.surveys.helpers import create_survey, family, respond, set_window, survey_world


def _results(client, x, s):
    r = client.get(f"/admin/api/v1/schools/{x.sid}/surveys/{s['id']}/results", headers=x.office)
    assert r.status_code == 200, r.json
    return r.json


def _answer_all(client, x, s, families, scores, text="老师很耐心"):
    for fam, score in zip(families, scores, strict=True):
        r = respond(client, fam.h, s, fam.child, [x.course.id], score=score, text=text)
        assert r.status_code == 201, r.json


def test_four_responses_show_counts_only(client, db):
    x = survey_world(db, families=4)
    s = create_survey(client, x)
    _answer_all(client, x, s, x.families, [5, 4, 3, 2])
    set_window(db, s, closed=True)
    res = _results(client, x, s)
    assert res["responses"] == 4
    service, course, other = res["subjects"]
    assert service["kind"] == "service" and service["responses"] == 4
    assert course["course_id"] == x.course.id and course["responses"] == 4
    assert other["course_id"] == x.other_course.id and other["responses"] == 0
    for subject in res["subjects"]:
        assert "average" not in subject
        for q in subject["questions"]:
            assert "average" not in q and "texts" not in q
    assert res["providers"] == [{"provider_id": x.provider.id, "name": "阳光体育", "responses": 4}]
    assert "老师很耐心" not in str(res)


def test_five_responses_show_averages_and_texts(client, db):
    x = survey_world(db, families=5)
    s = create_survey(client, x)
    _answer_all(client, x, s, x.families, [5, 4, 3, 2, 2])
    # while the survey is open: counts only (no reading off a family by difference)
    res = _results(client, x, s)
    assert res["closed"] is False and res["subjects"][1]["responses"] == 5
    assert all("average" not in subject for subject in res["subjects"])
    assert "老师很耐心" not in str(res) and "average" not in str(res["providers"])
    set_window(db, s, closed=True)
    res = _results(client, x, s)
    assert res["closed"] is True
    # 6 pupils enrolled (the target kid + 5 families), 5 answered
    assert res["responses"] == 5 and res["asked"] == 6
    assert res["response_rate"] == round(5 / 6, 4)
    service, course, _ = res["subjects"]
    assert service["average"] == 3.2 and course["average"] == 3.2
    score_q, second_q, text_q = course["questions"]
    assert score_q["average"] == 3.2 and second_q["average"] == 3.2
    assert text_q["texts"] == ["老师很耐心"] * 5
    assert course["provider_id"] == x.provider.id
    assert res["providers"] == [
        {"provider_id": x.provider.id, "name": "阳光体育", "responses": 5, "average": 3.2}
    ]


def test_export_as_xlsx(client, db):
    x = survey_world(db, families=5)
    s = create_survey(client, x)
    _answer_all(client, x, s, x.families, [5, 5, 5, 5, 4], text="=HYPERLINK(1)")
    set_window(db, s, closed=True)
    r = client.get(
        f"/admin/api/v1/schools/{x.sid}/surveys/{s['id']}/results/export", headers=x.office
    )
    assert r.status_code == 200 and "spreadsheetml" in r.mimetype
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    assert book.sheetnames == ["概况", "各项结果", "服务机构", "文字意见"]
    rows = list(book["各项结果"].iter_rows(values_only=True))
    assert rows[0][:5] == ("类别", "名称", "服务机构编号", "回答数", "平均分")
    assert rows[2][1] == "篮球" and rows[2][3] == 5 and rows[2][4] == 4.8
    texts = list(book["文字意见"].iter_rows(values_only=True))
    assert texts[1][2] == "'=HYPERLINK(1)"  # escaped, never a formula


def test_low_satisfaction_flags_the_provider_over_ten_responses(client, db):
    x = survey_world(db, families=9)
    s = create_survey(client, x)
    providers = f"/admin/api/v1/schools/{x.sid}/providers"
    _answer_all(client, x, s, x.families, [2] * 9)

    def flag():
        r = client.get(providers, headers=x.office)
        return {p["id"]: p["low_satisfaction"] for p in r.json}[x.provider.id]

    set_window(db, s, closed=True)
    assert flag() is False  # 9 responses: not enough to judge
    set_window(db, s, closed=False)
    tenth = family(db, x.term, x.a["classes"][0], x.course)
    assert respond(client, tenth.h, s, tenth.child, [x.course.id], score=3).status_code == 201
    assert flag() is False  # still open: judged on closed surveys only
    set_window(db, s, closed=True)
    assert flag() is True  # (9 * 2 + 3) / 10 = 2.1 < 3.0
    one = client.get(f"{providers}/{x.provider.id}", headers=x.office)
    assert one.json["low_satisfaction"] is True
    # the school sets a lower threshold: no longer flagged
    settings = f"/admin/api/v1/schools/{x.sid}/survey-settings"
    assert client.get(settings, headers=x.office).json["low_threshold"] == 3.0
    r = client.put(settings, json={"low_threshold": 2.0}, headers=x.office)
    assert r.status_code == 200 and r.json["low_threshold"] == 2.0
    assert flag() is False
    r = client.put(settings, json={"low_threshold": 6}, headers=x.office)
    assert r.status_code == 422
    assert (
        client.put(settings, json={"low_threshold": 2}, headers=x.other_office).status_code == 404
    )


def test_other_providers_are_not_flagged(client, db):
    x = survey_world(db, families=0)
    good = f.provider(db, x.a["school"])
    r = client.get(f"/admin/api/v1/schools/{x.sid}/providers", headers=x.office)
    assert {p["id"]: p["low_satisfaction"] for p in r.json} == {
        x.provider.id: False,
        good.id: False,
    }


def test_a_provider_average_leaves_out_courses_below_the_threshold(client, db):
    """A small course's answers cannot be read off as provider average minus the others."""
    x = survey_world(db, families=5)
    small = f.course(db, x.term, provider_id=x.provider.id, name="围棋", weekdays=[5])
    s = create_survey(client, x)
    _answer_all(client, x, s, x.families, [4] * 5)
    one = family(db, x.term, x.a["classes"][0], small)
    assert respond(client, one.h, s, one.child, [small.id], score=1).status_code == 201
    set_window(db, s, closed=True)
    res = _results(client, x, s)
    small_block = next(b for b in res["subjects"] if b.get("course_id") == small.id)
    assert small_block["responses"] == 1 and "average" not in small_block
    assert res["providers"] == [
        {"provider_id": x.provider.id, "name": "阳光体育", "responses": 6, "average": 4.0}
    ]
