"""The .xlsx roster import: good rows applied together, every bad row named with a reason."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.schools.models import RosterGuardian, Student
from tests import factories
from tests.schools.conftest import upload, xlsx


def students_of(db, school_id):
    return {
        s.student_no: s
        for s in db.scalars(sa.select(Student).where(Student.school_id == school_id))
    }


def phones_of(db, student_id):
    return db.scalars(
        sa.select(RosterGuardian.phone)
        .where(RosterGuardian.student_id == student_id)
        .order_by(RosterGuardian.id)
    ).all()


def test_good_and_bad_rows_in_one_file(client, world, db):
    sid = world.a["school"].id
    c1, c2 = world.a["classes"]
    grade = world.a["grade"]
    existing = world.a["kids"][0]
    rows = [
        ("S001", "张三", c1.name, "张父", "13800000001", "父亲", ""),  # 2
        ("S001", "张三", c1.name, "张母", 13800000002, "妈妈", "留守"),  # 3
        ("S002", "李四", f"{grade.name} / {c2.name}", "李母", "13800000003", "mother", ""),  # 4
        ("", "无学号", c1.name, "某家长", "13800000004", "父亲", ""),  # 5
        ("S003", "王五", "不存在的班", "王父", "13800000005", "父亲", ""),  # 6
        ("S004", "赵六", c1.name, "赵父", "12345", "父亲", ""),  # 7
        ("S005", "钱七", c1.name, "钱父", "13800000007", "舅舅", ""),  # 8
        ("S006", "孙八", c1.name, "孙父", "13800000008", "父亲", "富裕"),  # 9
        (None, None, None, None, None, None, None),  # 10
        ("S007", "周九", c1.name, "周父", "13800000009", "父亲", ""),  # 11
        ("S007", "周九", c1.name, "周母", "13800000009", "母亲", ""),  # 12
        (existing.student_no, "改名了", c2.name, "新家长", "13800000010", "其他", ""),  # 13
        ("S008", "吴十", c1.name, "吴父", "13800000011", "父亲", ""),  # 14
        ("S008", "吴十一", c1.name, "吴母", "13800000012", "母亲", ""),  # 15
    ]
    r = upload(client, sid, xlsx(rows), world.office_a)
    assert r.status_code == 200, r.json
    assert (r.json["created"], r.json["updated"]) == (2, 1)
    errors = {e["row"]: e["message"] for e in r.json["errors"]}
    assert set(errors) == {5, 6, 7, 8, 9, 11, 12, 14, 15}
    assert "学号不能为空" in errors[5]
    assert "找不到班级“不存在的班”" in errors[6]
    assert "不是有效的11位手机号" in errors[7]
    assert "关系“舅舅”无法识别" in errors[8]
    assert "优先类别“富裕”无法识别" in errors[9]
    assert "家长手机与第11行重复" in errors[12]
    assert "第12行有误" in errors[11]  # the rest of a spoiled pupil is not half-imported
    assert "姓名或班级" in errors[15] and "第15行有误" in errors[14]

    got = students_of(db, sid)
    assert {"S001", "S002"} <= set(got) and not {"S003", "S004", "S007", "S008"} & set(got)
    assert got["S001"].priority_flags == ["left_behind"]
    assert phones_of(db, got["S001"].id) == ["13800000001", "13800000002"]
    assert got["S002"].class_id == c2.id
    db.refresh(existing)
    assert (existing.name, existing.class_id) == ("改名了", c2.id)
    assert phones_of(db, existing.id) == ["13800000010"]

    actions = db.scalars(sa.select(AuditLog.action).where(AuditLog.school_id == sid)).all()
    assert actions.count("student.import_create") == 2
    assert actions.count("student.import_update") == 1 and actions[-1] == "roster.import"


def test_reimport_same_file_changes_nothing(client, world, db):
    sid = world.a["school"].id
    c1 = world.a["classes"][0]
    data = xlsx([("R1", "甲", c1.name, "甲父", "13900000001", "father", "残疾、困难")])
    assert upload(client, sid, data, world.office_a).json["created"] == 1
    r = upload(client, sid, data, world.office_a)
    assert (r.json["created"], r.json["updated"], r.json["unchanged"]) == (0, 0, 1)
    assert students_of(db, sid)["R1"].priority_flags == ["disabled", "hardship"]


def test_flags_kept_when_column_absent(client, world, db):
    sid = world.a["school"].id
    c1 = world.a["classes"][0]
    upload(
        client,
        sid,
        xlsx([("F1", "乙", c1.name, "乙母", "13900000002", "母亲", "留守")]),
        world.office_a,
    )
    header = ("学号", "姓名", "班级", "家长姓名", "家长手机", "关系")
    r = upload(
        client,
        sid,
        xlsx([("F1", "乙", c1.name, "乙母", "13900000002", "母亲")], header),
        world.office_a,
    )
    assert r.json["unchanged"] == 1
    assert students_of(db, sid)["F1"].priority_flags == ["left_behind"]


def test_ambiguous_class_name_needs_grade(client, world, db):
    sid = world.a["school"].id
    other_grade = factories.grade(db, world.a["school"], level=4)
    factories.klass(db, other_grade, name=world.a["classes"][0].name)
    r = upload(
        client,
        sid,
        xlsx([("A1", "丙", world.a["classes"][0].name, "丙父", "13900000003", "父亲", "")]),
        world.office_a,
    )
    assert r.json["created"] == 0
    assert "请写成“年级/班级”" in r.json["errors"][0]["message"]


def test_garbage_file_is_422_and_writes_nothing(client, world, db):
    sid = world.a["school"].id
    before = db.scalar(sa.select(sa.func.count()).select_from(Student))
    audit_before = db.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    for data, name in [
        (b"this is not a spreadsheet", "roster.xlsx"),
        (b"PK\x03\x04broken zip", "roster.xlsx"),
        ("学号,姓名\n1,2\n".encode(), "roster.csv"),
        (xlsx([("1", "2")], header=("名字", "年龄")), "roster.xlsx"),
        (xlsx([("1", "2")], header=("学号", "姓名")), "roster.xlsx"),
    ]:
        r = upload(client, sid, data, world.office_a, filename=name)
        assert r.status_code == 422, (name, r.json)
        assert r.json["error"] == "import_unreadable"
    r = upload(client, sid, xlsx([], header=("学号", "姓名")), world.office_a)
    assert "班级" in r.json["message"] and "家长手机" in r.json["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Student)) == before
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audit_before


def test_oversized_file_is_422(client, world, app):
    settings = app.extensions["kehou"]["settings"]
    original = settings.import_max_bytes
    settings.import_max_bytes = 2000
    try:
        rows = [(f"B{i}", "丁", "x", "y", "13900000004", "父亲", "") for i in range(200)]
        r = upload(client, world.a["school"].id, xlsx(rows), world.office_a)
    finally:
        settings.import_max_bytes = original
    assert r.status_code == 422 and r.json["error"] == "import_unreadable"
    assert "太大" in r.json["message"]


def test_upload_larger_than_app_body_limit_is_accepted(client, world, db):
    # The app-wide body limit is 1 MB; a roster file may be bigger (up to import_max_bytes).
    import io
    import secrets

    import openpyxl

    c1 = world.a["classes"][0]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "学生名单"
    sheet.append(["学号", "姓名", "班级", "家长姓名", "家长手机", "关系"])
    sheet.append(["BIG1", "大文件", c1.name, "家长", "13900000005", "父亲"])
    filler = book.create_sheet("附件")
    for _ in range(1200):  # random text does not compress: the file grows past 1 MB
        filler.append([secrets.token_urlsafe(900)])
    out = io.BytesIO()
    book.save(out)
    assert len(out.getvalue()) > 1024 * 1024
    r = upload(client, world.a["school"].id, out.getvalue(), world.office_a)
    assert r.status_code == 200, r.json
    assert r.json["created"] == 1 and r.json["errors"] == []


def test_missing_file_field_is_422(client, world):
    r = client.post(
        f"/admin/api/v1/schools/{world.a['school'].id}/students/import",
        data={},
        headers=world.office_a,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "file" in r.json["errors"]


def _crafted_xlsx(sheet_data: str, dimension: str | None = None) -> bytes:
    """A minimal hand-written .xlsx (a few hundred bytes) around the given <sheetData>."""
    import io
    import zipfile

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="学生名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f"<worksheet {ns}>{dim}<sheetData>{sheet_data}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


HEADER_ROW = "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
    for col, text in zip(
        "ABCDEF", ("学号", "姓名", "班级", "家长姓名", "家长手机", "关系"), strict=True
    )
)


def test_sheet_declaring_a_far_row_is_refused_without_reading_it(client, world, db):
    # Empty rows count: openpyxl fills every row up to r=200000000 (minutes of CPU before).
    data = _crafted_xlsx(f'<row r="1">{HEADER_ROW}</row><row r="200000000"/>')
    assert len(data) < 2000
    r = upload(client, world.a["school"].id, data, world.office_a)
    assert r.status_code == 422, r.json
    assert r.json["error"] == "import_too_large"
    assert "6000" in r.json["message"]


def test_sheet_whose_dimension_is_beyond_the_limit_is_refused(client, world, db):
    data = _crafted_xlsx(f'<row r="1">{HEADER_ROW}</row>', dimension="A1:XFD200000000")
    r = upload(
        client,
        world.a["school"].id,
        data,
        world.office_a,
    )
    assert r.status_code == 422 and r.json["error"] == "import_too_large"
    r = upload(
        client,
        world.a["school"].id,
        _crafted_xlsx(f'<row r="1">{HEADER_ROW}</row>', dimension="A1:F1"),
        world.office_a,
    )
    assert r.status_code == 200 and r.json["created"] == 0
