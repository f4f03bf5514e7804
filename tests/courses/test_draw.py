"""The pure lottery draw: determinism, rounds, clashes, waitlists, fairness, verification."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.courses import draw

ROOT = Path(__file__).resolve().parents[2]


def _verifier():
    spec = importlib.util.spec_from_file_location(
        "verify_lottery", ROOT / "scripts" / "verify_lottery.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def course(cid, seats, days=(1,), start="16:00", end="17:00"):
    return {"id": cid, "seats": seats, "weekdays": list(days), "start_time": start, "end_time": end}


def pupil(pid, prefs, priority=False):
    return {"id": pid, "priority": priority, "preferences": list(prefs)}


def inputs(courses, pupils, seed="s3cret-seed", limit=2):
    return {
        "algorithm": draw.ALGORITHM_ID,
        "seed": seed,
        "max_courses_per_student": limit,
        "courses": courses,
        "pupils": pupils,
    }


def test_overlap_rules():
    a = course(1, 1, (1, 3), "16:00", "17:00")
    assert draw.overlaps(a, course(2, 1, (3,), "16:30", "17:30"))
    assert not draw.overlaps(a, course(2, 1, (3,), "17:00", "18:00"))  # back to back is fine
    assert not draw.overlaps(a, course(2, 1, (2, 4), "16:00", "17:00"))  # other days
    assert draw.overlaps(a, course(2, 1, (1,), "15:00", "18:00"))  # contains


def test_same_inputs_same_result_and_seed_changes_order():
    pupils = [pupil(f"p{i:03d}", [1, 2, 3]) for i in range(50)]
    data = inputs([course(1, 5), course(2, 5, (2,)), course(3, 5, (3,))], pupils)
    first = draw.run(copy.deepcopy(data))
    assert draw.run(copy.deepcopy(data)) == first
    # the order of pupils in the input list does not matter
    shuffled = dict(data, pupils=list(reversed(pupils)))
    assert draw.run(shuffled) == first
    other = draw.run(dict(data, seed="another-seed"))
    assert other["order"] != first["order"]
    assert first["order"] == sorted(
        first["order"], key=lambda p: hashlib.sha256(f"s3cret-seed:{p}".encode()).hexdigest()
    )


def test_rounds_clashes_and_limit():
    courses = [
        course(1, 1),
        course(2, 5, (1,), "16:30", "17:30"),
        course(3, 5, (2,)),
        course(4, 5, (4,)),
    ]
    pupils = [pupil("a", [1, 2, 3, 4], priority=True), pupil("b", [1, 2, 3, 4])]
    result = draw.run(inputs(courses, pupils, limit=2))
    got = {}
    for p in result["placements"]:
        got.setdefault(p["pupil"], []).append((p["course_id"], p["round"]))
    # a (priority) wins course 1; course 2 clashes with it, so round 2 gives course 3
    assert got["a"] == [(1, 1), (3, 2)]
    # b: course 1 is full, so round 1 gives 2; round 2 gives 3 (1 still full)
    assert got["b"] == [(2, 1), (3, 2)]
    waits = {w["course_id"]: w["pupils"] for w in result["waitlists"]}
    # rank by rank: b's 1st choice (course 1) first; then a's unplaced 2nd (course 2); 4th choices
    assert waits == {1: ["b"], 2: ["a"], 4: ["a", "b"]}


def test_unknown_and_repeated_preferences_are_ignored():
    result = draw.run(inputs([course(1, 1)], [pupil("a", [9, 1, 1])]))
    assert result["placements"] == [{"pupil": "a", "course_id": 1, "round": 1, "rank": 1}]
    assert result["waitlists"] == []


def test_pseudonym_is_keyed():
    assert draw.pseudonym("k1", 5) == draw.pseudonym("k1", 5)
    assert draw.pseudonym("k1", 5) != draw.pseudonym("k2", 5)
    assert len(draw.pseudonym("k1", 5)) == 24


courses_st = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sets(st.integers(1, 5), min_size=1, max_size=3),
        st.sampled_from(["15:30", "16:00", "16:30"]),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    spec=courses_st,
    pupils_spec=st.lists(
        st.tuples(st.booleans(), st.lists(st.integers(0, 4), max_size=4)), min_size=1, max_size=25
    ),
    seed=st.text(min_size=1, max_size=10),
    limit=st.integers(1, 3),
)
def test_fairness_and_invariants(spec, pupils_spec, seed, limit):
    courses = [
        course(
            i + 1,
            seats,
            sorted(days),
            start,
            {"15:30": "16:30", "16:00": "17:00", "16:30": "17:30"}[start],
        )
        for i, (seats, days, start) in enumerate(spec)
    ]
    pupils = [
        pupil(f"p{i:02d}", [c + 1 for c in prefs if c < len(courses)], priority)
        for i, (priority, prefs) in enumerate(pupils_spec)
    ]
    data = inputs(courses, pupils, seed=seed, limit=limit)
    result = draw.run(copy.deepcopy(data))
    assert result == draw.run(copy.deepcopy(data))
    by_id = {c["id"]: c for c in courses}
    won: dict[str, list] = {}
    for p in result["placements"]:
        won.setdefault(p["pupil"], []).append(p["course_id"])
    for c in courses:  # never more placements than seats
        assert sum(1 for p in result["placements"] if p["course_id"] == c["id"]) <= c["seats"]
    for pid, got in won.items():  # within the limit, no clashes, only wished courses
        assert len(got) <= limit and len(set(got)) == len(got)
        wished = next(p["preferences"] for p in pupils if p["id"] == pid)
        assert set(got) <= set(wished)
        for i, a in enumerate(got):
            for b in got[i + 1 :]:
                assert not draw.overlaps(by_id[a], by_id[b])
    position = {pid: i for i, pid in enumerate(result["order"])}
    priority = {p["id"]: p["priority"] for p in pupils}
    assert all(
        priority[a] or not priority[b]
        for a, b in zip(result["order"], result["order"][1:], strict=False)
    ), "priority pupils come first in the draw order"
    # Fairness: a priority pupil is never placed after a non-priority pupil with the same
    # first choice: if a non-priority pupil got course X as first choice in round 1, every
    # priority pupil whose first choice was X got it too.
    for p in pupils:
        if not p["preferences"] or p["priority"]:
            continue
        first = p["preferences"][0]
        if first in won.get(p["id"], []):
            for q in pupils:
                if q["priority"] and q["preferences"] and q["preferences"][0] == first:
                    assert first in won.get(q["id"], []), (q, p)
                    assert position[q["id"]] < position[p["id"]]
    # every unplaced wish is on that course's waitlist, once
    waits = {w["course_id"]: w["pupils"] for w in result["waitlists"]}
    for p in pupils:
        for cid in dict.fromkeys(p["preferences"]):
            if cid not in won.get(p["id"], []):
                assert waits[cid].count(p["id"]) == 1


def test_verify_script_matches_and_catches_tampering(tmp_path):
    verifier = _verifier()
    seed = "a-long-secret-seed"
    data = inputs(
        [course(1, 2), course(2, 1, (2,))],
        [pupil(f"p{i}", [1, 2], priority=i == 3) for i in range(6)],
        seed=seed,
    )
    published = {
        "seed_hash": hashlib.sha256(seed.encode()).hexdigest(),
        "inputs": data,
        "result": draw.run(copy.deepcopy(data)),
    }
    path = tmp_path / "published.json"
    path.write_text(json.dumps(published))
    assert verifier.main([str(path)]) == 0
    tampered = copy.deepcopy(published)
    tampered["result"]["placements"][0]["pupil"] = "p-someone-else"
    path.write_text(json.dumps(tampered))
    assert verifier.main([str(path)]) == 1
    wrong_seed = copy.deepcopy(published)
    wrong_seed["seed_hash"] = "0" * 64
    assert any("seed_hash" in p for p in verifier.verify(wrong_seed))
