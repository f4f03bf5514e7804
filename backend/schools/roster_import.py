"""The .xlsx roster: template download and import (bad rows reported, good rows applied)."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import sqlalchemy as sa
from flask import current_app
from openpyxl.styles import Font
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import admin_school
from backend.common.schemas import PHONE_RE, RELATION_ZH
from backend.database import unit_of_work
from backend.schools.errors import ImportTooLarge, ImportUnreadable, StudentExists
from backend.schools.models import Grade, SchoolClass, Student
from backend.schools.pupils import guardian_rows, replace_guardians, snapshot

SHEET_NAME = "学生名单"
MAX_ROWS = 5000
# Rows read, empty ones included: a sheet may declare a row far below its data
# (`<row r="200000000"/>`), and openpyxl fills every row in between.
MAX_SHEET_ROWS = MAX_ROWS + 1000
MAX_SHEET_COLS = 50
# A small .xlsx can inflate enormously; refuse before openpyxl expands it.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
COLUMNS = {  # header -> key; 优先类别 is optional
    "学号": "student_no",
    "姓名": "name",
    "班级": "class",
    "家长姓名": "guardian_name",
    "家长手机": "phone",
    "关系": "relation",
    "优先类别": "flags",
}
REQUIRED = [h for h, key in COLUMNS.items() if key != "flags"]
RELATION_WORDS = {
    "father": ("父亲", "爸爸", "father"),
    "mother": ("母亲", "妈妈", "mother"),
    "grandfather": ("祖父", "外祖父", "祖父/外祖父", "爷爷", "外公", "姥爷", "grandfather"),
    "grandmother": ("祖母", "外祖母", "祖母/外祖母", "奶奶", "外婆", "姥姥", "grandmother"),
    "other": ("其他", "其它", "other"),
}
FLAG_WORDS = {
    "disabled": ("残疾", "残疾儿童", "disabled"),
    "left_behind": ("留守", "留守儿童", "left_behind"),
    "migrant_worker": ("进城务工", "进城务工人员子女", "随迁子女", "migrant_worker"),
    "hardship": ("困难", "家庭困难", "困难家庭", "hardship"),
}
_RELATION = {w: key for key, words in RELATION_WORDS.items() for w in words}
_FLAG = {w: key for key, words in FLAG_WORDS.items() for w in words}
LIMITS = {"student_no": ("学号", 32), "name": ("姓名", 50), "guardian_name": ("家长姓名", 50)}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps numbers typed into cells (学号, 手机) as floats
    return str(value).strip()


def _refuse_large(rows: int, cols: int) -> None:
    """ImportTooLarge when a sheet declares (or reaches) more rows or columns than are read."""
    if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLS:
        raise ImportTooLarge(max_rows=MAX_SHEET_ROWS, max_cols=MAX_SHEET_COLS, rows=rows, cols=cols)


def _read_rows(data: bytes) -> list[tuple[int, dict]]:
    """(row number, {key: text}) of every non-empty data row; ImportUnreadable otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise ImportUnreadable("文件内容过大，请分批导入")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportUnreadable:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise ImportUnreadable() from exc
    try:
        sheet = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
        _refuse_large(sheet.max_row or 0, sheet.max_column or 0)
        rows = sheet.iter_rows(
            min_row=1, max_row=MAX_SHEET_ROWS + 1, max_col=MAX_SHEET_COLS, values_only=True
        )
        header, header_at = None, 0
        for number, values in enumerate(rows, start=1):
            names = [_text(v).replace("*", "").replace(" ", "") for v in values]
            if "学号" in names:
                header, header_at = names, number
                break
            if number >= 5:
                break
        if header is None:
            raise ImportUnreadable("找不到表头：第一行应为 " + "、".join(REQUIRED))
        missing = [h for h in REQUIRED if h not in header]
        if missing:
            raise ImportUnreadable("表头缺少：" + "、".join(missing))
        where = {COLUMNS[h]: i for i, h in enumerate(header) if h in COLUMNS}
        out = []
        for number, values in enumerate(rows, start=header_at + 1):
            if number > MAX_SHEET_ROWS:  # counted whether the row is empty or not
                _refuse_large(number, sheet.max_column or 0)
            cells = {key: _text(values[i]) if i < len(values) else "" for key, i in where.items()}
            if any(cells.values()):
                out.append((number, cells))
                if len(out) > MAX_ROWS:
                    raise ImportUnreadable(f"超过{MAX_ROWS}行，请分批导入")
        return out
    except (ImportUnreadable, ImportTooLarge):
        raise
    except Exception as exc:
        raise ImportUnreadable() from exc
    finally:
        book.close()


def _class_finder(session, school_id: int):
    rows = session.execute(
        sa.select(SchoolClass.id, SchoolClass.name, Grade.name.label("grade"))
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .where(SchoolClass.school_id == school_id)
    ).all()
    full = {f"{r.grade}/{r.name}": r.id for r in rows}
    by_name: dict[str, list[int]] = {}
    for r in rows:
        by_name.setdefault(r.name, []).append(r.id)

    def find(label: str) -> tuple[int | None, str | None]:
        label = re.sub(r"\s*[/／]\s*", "/", label)
        if label in full:
            return full[label], None
        ids = by_name.get(label, [])
        if len(ids) == 1:
            return ids[0], None
        if ids:
            return None, f"有多个名为“{label}”的班级，请写成“年级/班级”"
        return None, f"找不到班级“{label}”，请先在系统中建好，或写成“年级/班级”"

    return find


def _check_row(cells: dict, find_class) -> tuple[dict, list[str]]:
    problems = []
    for key, (label, limit) in LIMITS.items():
        if not cells.get(key):
            problems.append(f"{label}不能为空")
        elif len(cells[key]) > limit:
            problems.append(f"{label}太长（最多{limit}个字）")
    class_id = None
    if not cells.get("class"):
        problems.append("班级不能为空")
    else:
        class_id, problem = find_class(cells["class"])
        if problem:
            problems.append(problem)
    phone = re.sub(r"[\s\-]", "", cells.get("phone", ""))
    phone = phone[3:] if phone.startswith("+86") else phone
    if not phone:
        problems.append("家长手机不能为空")
    elif not re.fullmatch(PHONE_RE, phone):
        problems.append(f"家长手机“{cells['phone']}”不是有效的11位手机号")
    relation = _RELATION.get(cells.get("relation", "").lower())
    if relation is None:
        problems.append(
            f"关系“{cells.get('relation', '')}”无法识别，请填写父亲、母亲、祖父、祖母或其他"
        )
    flags = set()
    for word in filter(None, re.split(r"[、,，;；/\s]+", cells.get("flags", ""))):
        if word.lower() in _FLAG:
            flags.add(_FLAG[word.lower()])
        else:
            problems.append(f"优先类别“{word}”无法识别，可填：残疾、留守、进城务工、家庭困难")
    row = {
        "student_no": cells.get("student_no"),
        "name": cells.get("name"),
        "class_id": class_id,
        "flags": flags,
        "guardian": {"name": cells.get("guardian_name"), "phone": phone, "relation": relation},
    }
    return row, problems


def _group(rows, find_class) -> tuple[dict, dict[int, list[str]]]:
    """Rows of one 学号 make one pupil (one row per guardian); a bad row spoils its pupil."""
    pupils: dict[str, dict] = {}
    problems: dict[int, list[str]] = {}
    for number, cells in rows:
        row, issues = _check_row(cells, find_class)
        no = row["student_no"]
        if not no or len(no) > 32:
            problems[number] = issues
            continue
        pupil = pupils.setdefault(no, {"rows": [], "guardians": [], "flags": set(), "first": None})
        pupil["rows"].append(number)
        phones = {g["phone"]: n for n, g in pupil["guardians"]}
        if issues:
            pass
        elif pupil["first"] is None:
            pupil.update(first=number, name=row["name"], class_id=row["class_id"])
        elif (pupil["name"], pupil["class_id"]) != (row["name"], row["class_id"]):
            issues.append(f"同一学号在第{pupil['first']}行的姓名或班级与本行不同")
        elif row["guardian"]["phone"] in phones:
            issues.append(f"家长手机与第{phones[row['guardian']['phone']]}行重复")
        elif len(pupil["guardians"]) >= 4:
            issues.append("一个学生最多登记4位家长")
        if issues:
            problems[number] = issues
        else:
            pupil["guardians"].append((number, row["guardian"]))
            pupil["flags"] |= row["flags"]
    for no, pupil in pupils.items():
        bad = [n for n in pupil["rows"] if n in problems]
        for n in pupil["rows"]:
            if bad and n not in problems:
                problems[n] = [f"同一学号（{no}）的第{bad[0]}行有误，该学生整体未导入"]
    return pupils, problems


def _same_guardians(rows, wanted: list[dict]) -> bool:
    return [(g.name, g.phone, g.relation) for g in rows] == [
        (g["name"], g["phone"], g["relation"]) for g in wanted
    ]


def _apply(session, school_id: int, pupils: dict, problems: dict, has_flags: bool) -> dict:
    good = {no: p for no, p in pupils.items() if not any(n in problems for n in p["rows"])}
    existing = {
        s.student_no: s
        for s in session.scalars(
            sa.select(Student).where(
                Student.school_id == school_id, Student.student_no.in_(list(good))
            )
        )
    }
    current = guardian_rows(session, [s.id for s in existing.values()])
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    created = []
    for no, pupil in good.items():
        wanted = [g for _, g in pupil["guardians"]]
        student = existing.get(no)
        if student is None:
            student = Student(
                school_id=school_id,
                student_no=no,
                name=pupil["name"],
                class_id=pupil["class_id"],
                priority_flags=sorted(pupil["flags"]),
                active=True,
            )
            session.add(student)
            created.append((student, wanted))
            continue
        # A file without the 优先类别 column leaves the flags the office already set.
        flags = sorted(pupil["flags"]) if has_flags else sorted(student.priority_flags or [])
        same_guardians = _same_guardians(current[student.id], wanted)
        if (student.name, student.class_id, sorted(student.priority_flags or [])) == (
            pupil["name"],
            pupil["class_id"],
            flags,
        ) and same_guardians:
            counts["unchanged"] += 1
            continue
        before = snapshot(student, current[student.id])
        student.name, student.class_id, student.priority_flags = (
            pupil["name"],
            pupil["class_id"],
            flags,
        )
        rows = (
            current[student.id] if same_guardians else replace_guardians(session, student, wanted)
        )
        session.flush()
        record(
            session,
            action="student.import_update",
            object_type="student",
            object_id=student.id,
            school_id=school_id,
            before=before,
            after=snapshot(student, rows),
        )
        counts["updated"] += 1
    try:
        session.flush()  # one batch of inserts gives the new pupils their ids
    except IntegrityError as exc:  # another import or form added the same 学号 meanwhile
        raise StudentExists() from exc
    for student, wanted in created:
        rows = replace_guardians(session, student, wanted)
        record(
            session,
            action="student.import_create",
            object_type="student",
            object_id=student.id,
            school_id=school_id,
            after=snapshot(student, rows),
        )
        counts["created"] += 1
    return counts


def import_roster(school_id: int, upload, filename: str | None = None) -> dict:
    """Apply every good pupil of the file in one transaction; report every bad row."""
    actor = require_admin()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)  # 404 before reading another school's upload
    limit = current_app.extensions["kehou"]["settings"].import_max_bytes
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImportUnreadable(f"文件太大（上限{limit // (1024 * 1024)}MB），请分批导入")
    rows = _read_rows(data)
    with unit_of_work() as session:
        school = admin_school(session, actor, school_id)
        pupils, problems = _group(rows, _class_finder(session, school.id))
        has_flags = any("flags" in cells for _, cells in rows)
        counts = _apply(session, school.id, pupils, problems, has_flags)
        errors = [{"row": n, "message": "；".join(msgs)} for n, msgs in sorted(problems.items())]
        record(
            session,
            action="roster.import",
            object_type="school",
            object_id=school.id,
            school_id=school.id,
            after={**counts, "error_rows": len(errors), "filename": filename},
        )
        return {**counts, "errors": errors}


def template(school_id: int) -> bytes:
    """An empty roster sheet plus a 说明 sheet listing the school's classes and codes."""
    actor = require_admin()
    with unit_of_work() as session:
        school = admin_school(session, actor, school_id)
        classes = session.execute(
            sa.select(Grade.name, SchoolClass.name)
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .where(SchoolClass.school_id == school.id)
            .order_by(Grade.level, Grade.name, SchoolClass.name)
        ).all()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append(list(COLUMNS))
    for cell, width in zip(sheet[1], (14, 10, 16, 10, 14, 8, 20), strict=True):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    notes = book.create_sheet("说明")
    for line in (
        ["每行一位家长；一个学生有多位家长时，用相同的学号写多行（最多4位）。"],
        ["再次导入同一学号会更新该学生，其家长名单以文件为准。"],
        ["学号、手机号所在列请设为文本格式，以免开头的0丢失。"],
        ["班级：写班级名；若不同年级有同名班级，写成“年级/班级”，如“三年级/1班”。"],
        ["关系：" + "、".join(v.split("/")[0] for v in RELATION_ZH.values())],
        ["优先类别（可空，多个用顿号分隔）：残疾、留守、进城务工、家庭困难"],
        [],
        ["本校班级（年级/班级）"],
        *([f"{grade}/{name}"] for grade, name in classes),
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 70
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
