"""A month's pay lines from the hours entries, computed in one SQL aggregation.

The R17 rules applied here:
- teaching is paid per lesson, supervision per hour (minutes x rate / 60, half a fen and
  more rounds up), an admin-duty person the term's monthly admin amount;
- a person who taught that month gets no separate admin amount (nobody is paid twice);
- the admin amount may not exceed the average pay of the staff who taught that month;
- external staff of a provider paid as a package make one line per provider.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa

from backend.courses.models import Provider
from backend.fees import money
from backend.staff.errors import AdminPayAboveAverage
from backend.staff.models import PayRates, ProviderPayTerms, StaffHours, StaffMember

ALSO_TAUGHT = "本月有授课，不另发行政补助"


@dataclass
class Line:
    staff_id: int | None
    provider_id: int | None
    name: str
    kind: str
    lessons: int = 0
    minutes: int = 0
    teaching_fen: int = 0
    supervision_fen: int = 0
    admin_fen: int = 0
    amount_fen: int = 0
    note: str | None = None

    def as_dict(self) -> dict:
        """The line's fields (the columns of a PaySheetLine)."""
        return asdict(self)


def _sum_if(column, duty: str):
    return sa.func.coalesce(sa.func.sum(sa.case((StaffHours.duty == duty, column), else_=0)), 0)


def workload(session, term_id: int, start, end) -> list:
    """Per person: lessons, teaching/supervision/admin minutes in [start, end] (net of
    corrections), with the person's name, kind and provider."""
    agg = (
        sa.select(
            StaffHours.staff_id.label("staff_id"),
            _sum_if(StaffHours.lessons, "teaching").label("lessons"),
            _sum_if(StaffHours.minutes, "teaching").label("teaching_min"),
            _sum_if(StaffHours.minutes, "supervision").label("supervision_min"),
            _sum_if(StaffHours.minutes, "admin").label("admin_min"),
        )
        .where(StaffHours.term_id == term_id, StaffHours.day >= start, StaffHours.day <= end)
        .group_by(StaffHours.staff_id)
        .subquery()
    )
    return session.execute(
        sa.select(agg, StaffMember.name, StaffMember.kind, StaffMember.provider_id)
        .join(StaffMember, StaffMember.id == agg.c.staff_id)
        .order_by(StaffMember.kind, StaffMember.id)
    ).all()


def _person(row, rates: PayRates) -> Line:
    line = Line(row.staff_id, row.provider_id, row.name, row.kind)
    line.lessons = int(row.lessons)
    line.minutes = int(row.teaching_min + row.supervision_min + row.admin_min)
    line.teaching_fen = line.lessons * rates.teaching_per_lesson_fen
    line.supervision_fen = (int(row.supervision_min) * rates.supervision_per_hour_fen + 30) // 60
    if row.admin_min > 0:
        if line.lessons > 0:
            line.note = ALSO_TAUGHT
        else:
            line.admin_fen = rates.admin_monthly_fen
    line.amount_fen = line.teaching_fen + line.supervision_fen + line.admin_fen
    return line


def _packages(session, school_id: int) -> dict[int, tuple[str, int]]:
    rows = session.execute(
        sa.select(ProviderPayTerms.provider_id, Provider.name, ProviderPayTerms.package_monthly_fen)
        .join(Provider, Provider.id == ProviderPayTerms.provider_id)
        .where(ProviderPayTerms.school_id == school_id, ProviderPayTerms.mode == "package")
    )
    return {pid: (name, amount) for pid, name, amount in rows}


def month_lines(session, term, rates: PayRates, start, end) -> list[Line]:
    """The month's lines: people first, then one line per package-paid provider."""
    packages = _packages(session, term.school_id)
    people, providers = [], {}
    for row in workload(session, term.id, start, end):
        if row.lessons == 0 and row.teaching_min + row.supervision_min + row.admin_min == 0:
            continue  # everything of the month was corrected away
        if row.provider_id in packages:
            name, amount = packages[row.provider_id]
            line = providers.setdefault(
                row.provider_id,
                Line(None, row.provider_id, name, "provider", amount_fen=amount, note="包干"),
            )
            line.lessons += int(row.lessons)
            line.minutes += int(row.teaching_min + row.supervision_min + row.admin_min)
            continue
        people.append(_person(row, rates))
    check_admin_average(people, rates)
    return people + [providers[p] for p in sorted(providers)]


def check_admin_average(people: list[Line], rates: PayRates) -> None:
    """R17: an admin amount paid above the average of those who taught is refused (422)."""
    if not any(line.admin_fen > 0 for line in people):
        return
    taught = [line.amount_fen for line in people if line.lessons > 0]
    admin = rates.admin_monthly_fen
    if not taught or admin * len(taught) > sum(taught):
        average = sum(taught) / len(taught) if taught else 0
        raise AdminPayAboveAverage(
            admin_yuan=money.yuan(admin),
            average_yuan=f"{average / 100:.2f}",
            errors={"admin_monthly_fen": [admin], "teaching_average_fen": [round(average)]},
        )


def difference(fresh: list[Line], approved: list[dict]) -> list[Line]:
    """Correcting lines: what the month comes to now minus what approved sheets paid."""
    fields = ("lessons", "minutes", "teaching_fen", "supervision_fen", "admin_fen", "amount_fen")
    paid: dict[tuple, dict] = {}
    for row in approved:
        key = (row["staff_id"], row["provider_id"])
        acc = paid.setdefault(key, {**row, **dict.fromkeys(fields, 0)})
        for f in fields:
            acc[f] += row[f]
    out = []
    for line in fresh:
        before = paid.pop((line.staff_id, line.provider_id), None)
        if before is not None:
            for f in fields:
                setattr(line, f, getattr(line, f) - before[f])
        out.append(line)
    for row in paid.values():  # paid before, nothing now: the whole amount comes back
        keep = {k: row[k] for k in ("staff_id", "provider_id", "name", "kind")}
        out.append(Line(**keep, **{f: -row[f] for f in fields}, note="更正：本月无应发"))
    return [line for line in out if any(getattr(line, f) for f in fields)]
