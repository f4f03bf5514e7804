"""The lottery draw as a pure function of published inputs (no database, no app imports).

This file is shared by the server (backend/courses/lottery.py) and by
scripts/verify_lottery.py, which loads it by path: anyone holding the published inputs
can recompute the draw with nothing but Python's standard library.

Algorithm "kehou-lottery-v1":

1. Order. Every pupil appears under a pseudonymous id (HMAC-SHA256 of the pupil id with a
   per-term key the school keeps). The draw order sorts pupils by
   (not priority, sha256(f"{seed}:{pseudonymous_id}").hexdigest(), pseudonymous_id):
   priority-flagged pupils (R4) first, then everybody in the seeded random order.
2. Rounds. For round r = 1 .. max_courses_per_student, each pupil in draw order gets at
   most one course: the best-ranked of their not-yet-placed preferences that still has a
   seat and does not overlap (same weekday, overlapping times) a course they already got.
3. Waitlists. Every preference a pupil did not get joins that course's waitlist. The
   waitlists fill rank by rank: first everybody's unplaced 1st choices (in draw order),
   then everybody's unplaced 2nd choices, and so on; so a pupil who wanted a course more
   stands ahead of one who ranked it lower.

Preferences naming a course not in the inputs are ignored; a repeated course counts once.
"""

from __future__ import annotations

import hashlib
import hmac

ALGORITHM_ID = "kehou-lottery-v1"
ALGORITHM = (
    f"{ALGORITHM_ID}: priority pupils first, then by sha256(seed + ':' + pseudonymous_id); "
    "round by round each pupil gets the best-ranked preference with a free seat that does "
    "not clash in time with courses already won, up to max_courses_per_student; unplaced "
    "preferences join the waitlists rank by rank, in draw order."
)


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def overlaps(a: dict, b: dict) -> bool:
    """Two courses clash when they share a weekday and their times overlap (end is open)."""
    if not set(a["weekdays"]) & set(b["weekdays"]):
        return False
    return minutes(a["start_time"]) < minutes(b["end_time"]) and minutes(b["start_time"]) < (
        minutes(a["end_time"])
    )


def pseudonym(key: str, student_id: int) -> str:
    """The published stand-in for a pupil id; without the key it reveals nothing."""
    return hmac.new(key.encode(), str(student_id).encode(), hashlib.sha256).hexdigest()[:24]


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def order_key(seed: str, pupil_id: str) -> str:
    return hashlib.sha256(f"{seed}:{pupil_id}".encode()).hexdigest()


def draw_order(seed: str, pupils: list[dict]) -> list[dict]:
    return sorted(pupils, key=lambda p: (not p["priority"], order_key(seed, p["id"]), p["id"]))


def _clean(prefs: list, known: dict) -> list:
    seen, out = set(), []
    for cid in prefs:
        if cid in known and cid not in seen:
            seen.add(cid)
            out.append(cid)
    return out


def run(inputs: dict) -> dict:
    """inputs: {seed, max_courses_per_student, courses: [{id, seats, weekdays, start_time,
    end_time}], pupils: [{id, priority, preferences: [course ids, best first]}]}."""
    seed = inputs["seed"]
    limit = int(inputs["max_courses_per_student"])
    courses = {c["id"]: c for c in inputs["courses"]}
    seats = {cid: int(c["seats"]) for cid, c in courses.items()}
    order = draw_order(seed, inputs["pupils"])
    prefs = {p["id"]: _clean(p["preferences"], courses) for p in order}
    won: dict[str, list] = {p["id"]: [] for p in order}
    placements = []
    for rnd in range(1, limit + 1):
        for pupil in order:
            pid = pupil["id"]
            for rank, cid in enumerate(prefs[pid], start=1):
                if cid in won[pid] or seats[cid] <= 0:
                    continue
                if any(overlaps(courses[cid], courses[other]) for other in won[pid]):
                    continue
                won[pid].append(cid)
                seats[cid] -= 1
                placements.append({"pupil": pid, "course_id": cid, "round": rnd, "rank": rank})
                break
    waitlists: dict = {cid: [] for cid in courses}
    longest = max((len(p) for p in prefs.values()), default=0)
    for rank in range(longest):
        for pupil in order:
            pid = pupil["id"]
            if rank < len(prefs[pid]) and prefs[pid][rank] not in won[pid]:
                waitlists[prefs[pid][rank]].append(pid)
    return {
        "algorithm": ALGORITHM_ID,
        "order": [p["id"] for p in order],
        "placements": placements,
        "waitlists": [
            {"course_id": cid, "pupils": pupils} for cid, pupils in waitlists.items() if pupils
        ],
    }
