"""The matrix's vocabulary: roles, expectations, rows, and the swapped-path pseudo-roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OK = "ok"
REFUSED = "refused"  # any of 403/404/409/410/422: the request names another school's object

GA, GO, GB = "guardian_A", "guardian_other", "guardian_B"
HT, HTO = "head_teacher_A", "head_teacher_other_class"
CC, GC, SC = "class_committee_A", "grade_committee_A", "school_committee_A"
GTA, GTB, SB = "gate_A", "gate_B", "staff_B"
AA, AB, PL = "admin_A", "admin_B", "platform"
# District admins: of school A's district, and of another district (school B's).
DA, DO = "district_A", "district_other"

USERS = (GA, GO, GB, HT, HTO, CC, GC, SC, GTA, GTB, SB)
ADMINS = (AA, AB, PL, DA, DO)
DISTRICT = (DA, DO)
ROLES = ("anon", *USERS, *ADMINS)
A_PEOPLE = (GA, GO, HT, HTO, CC, GC, SC, GTA)  # guardians and staff of school A
B_PEOPLE = (GB, GTB, SB)
GUARDIANS = (GA, GO, GB)
COMMITTEE = (CC, GC, SC)
NOT_TEACHERS = (GA, GO, GB, CC, GC, SC, GTA, GTB)  # users without a head-teacher grant
NOT_GATE = (GA, GO, GB, HT, HTO, CC, GC, SC, SB)


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: dict
    query: dict | None = None
    json: object = None
    form: dict | None = None  # multipart fields; bytes values become uploaded files
    sees: frozenset = frozenset()
    use: dict = field(default_factory=dict)  # path placeholder -> another world id
    swap_expect: dict = field(default_factory=dict)  # pseudo-role (SWAPS) -> expectation
    xfail: dict = field(default_factory=dict)
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def app(method, path, ok, *, forbidden=(), rest=404, also=None, sees=None, **kw) -> Row:
    """A mini-program endpoint: `ok` users may use it, `forbidden` get 403, the other
    users `rest` (404: outside their scope); no token and admin tokens 401."""
    expect = {"anon": 401, **dict.fromkeys(ADMINS, 401)}
    for role in USERS:
        expect[role] = OK if role in ok else 403 if role in forbidden else rest
    expect.update(also or {})
    return Row(method, path, expect, sees=frozenset(ok if sees is None else sees), **kw)


def admin(method, path, ok=(AA, PL), *, rest=404, also=None, sees=None, **kw) -> Row:
    """An admin endpoint: by default school A's office and the platform; B's office 404;
    no token and mini-program tokens 401. District admins read no school's own records:
    403 for a school of their district, 404 for one outside it (and 403 for a platform
    endpoint), unless `ok` names them."""
    expect = {"anon": 401, **dict.fromkeys(USERS, 401)}
    for role in ADMINS:
        expect[role] = OK if role in ok else rest
    for role in DISTRICT:
        if role not in ok:
            # A platform-only endpoint (rest=403) refuses before looking at the school.
            in_school = "{school_id}" in path and rest != 403
            expect[role] = (403 if role == DA else 404) if in_school else 403
    expect.update(also or {})
    return Row(method, path, expect, sees=frozenset(ok if sees is None else sees), **kw)


def public(method, path, status, error, **kw) -> Row:
    """A view reachable without a token: everybody gets the same business answer."""
    return Row(method, path, dict.fromkeys(ROLES, (status, error)), **kw)


# A caller on a path of their own that names someone else's objects elsewhere (the
# insecure direct object reference): pseudo-role -> (token of, placeholder, where its own
# value comes from, the API it applies to, placeholders that are not someone else's).
NOT_OBJECTS = frozenset({"day", "period", "binding_code"})
# What a family of school A shares with every other family of A.
SCHOOL_SHARED = frozenset(
    {"school_id", "grade_id", "class_id", "term_id", "lottery_term_id", "agreement_id"}
    | {"course_id", "free_course_id", "lottery_course_id"}
)
SWAPS = {
    "admin_B@own_school": (AB, "school_id", "school_id", "/admin/api/v1/", NOT_OBJECTS),
    "guardian_B@own_child": (GB, "student_id", "student_id", "/api/v1/", NOT_OBJECTS),
    "staff_B@own_class": (SB, "class_id", "class_id", "/api/v1/", NOT_OBJECTS),
    "guardian_other@own_child": (
        GO,
        "student_id",
        "other_family_student_id",
        "/api/v1/",
        NOT_OBJECTS | SCHOOL_SHARED,
    ),
}
_NAME = re.compile(r"\{(\w+)\}")


def _names(value) -> set[str]:
    if isinstance(value, str):
        return set(_NAME.findall(value))
    if isinstance(value, list | tuple):
        return set().union(*map(_names, value)) if value else set()
    if isinstance(value, dict):
        return _names(list(value.values()))
    return set()


def swap_expectation(row: Row, pseudo: str):
    """None when the swap does not apply (the row does not name the placeholder, or the
    role cannot use the endpoint at all); else 404 while the path still names another's
    object, REFUSED when only the query or body does, OK when all that is named is the
    caller's own or shared (their own list or object)."""
    token_of, swapped, _, prefix, harmless = SWAPS[pseudo]
    if not row.path.startswith(prefix) or row.expect[token_of] == 403:
        return None
    if pseudo in row.swap_expect:
        return row.swap_expect[pseudo]
    in_path = {row.use.get(n, n) for n in _names(row.path)}
    elsewhere = _names(row.query) | _names(row.json) | _names(row.form)
    if swapped not in in_path | elsewhere:
        return None
    if (in_path - {swapped}) - harmless:
        return 404
    if (elsewhere - {swapped}) - harmless:
        return REFUSED
    return OK
