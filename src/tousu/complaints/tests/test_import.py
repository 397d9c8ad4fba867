import csv
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.intake.imports import import_file
from tousu.testing import make_department, make_user

pytestmark = pytest.mark.django_db


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def run(content: bytes, name: str = "export.csv", **kwargs):
    return import_file(io.BytesIO(content), name, by=kwargs.pop("by", None), now=timezone.now(), **kwargs)


GOOD_AND_BAD = [
    ["投诉内容", "渠道", "投诉时间", "客户姓名", "联系电话", "金额", "产品", "批次", "备注"],
    ["脚踏螺纹不良，整批无法上线", "邮件", "2026-11-02 10:00", "陈经理", "0574-8765-1234", "", "PD-610", "L2611-03", "x"],
    ["", "电话", "2026-11-02 11:00", "", "", "", "", "", ""],
    ["年费乱收", "电话", "2026-11-03 09:00", "张伟", "12345", "199", "信用卡", "", ""],
    ["航班延误五小时", "carrier pigeon", "", "", "", "abc", "", "", ""],
    ["宽带断网", "", "", "", "13812345678", "", "", "", ""],
]


def test_good_rows_are_kept_and_bad_rows_reported_with_row_column_and_reason():
    report = run(csv_bytes(GOOD_AND_BAD))
    assert report.created == 2
    assert report.duplicates == 0
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "投诉内容"), (4, "联系电话"), (5, "渠道"), (5, "金额")}
    assert all(e.reason for e in report.errors)
    assert report.ignored_columns == ["备注"]
    stored = Complaint.objects.get(lot="L2611-03")
    assert stored.channel == "email" and stored.phone == "057487651234" and stored.product == "PD-610"
    assert ComplaintEvent.objects.filter(kind="imported", data__row=2).count() == 1


def test_reimporting_the_same_file_creates_nothing_new():
    content = csv_bytes(GOOD_AND_BAD)
    run(content)
    again = run(content)
    assert again.created == 0
    assert again.duplicates == 2
    assert Complaint.objects.count() == 2


def test_external_ids_make_rows_the_same_even_when_edited():
    run(csv_bytes([["external_id", "text"], ["CC-1", "第一版"], ["CC-2", "另一件"]]))
    report = run(csv_bytes([["external_id", "text"], ["CC-1", "改过的文字"], ["CC-3", "新的一件"]]))
    assert (report.created, report.duplicates) == (1, 1)
    assert Complaint.objects.get(external_id="CC-1").text == "第一版"


def test_identical_rows_inside_one_file_are_stored_once():
    report = run(csv_bytes([["text"], ["同一句话"], ["同一句话"]]))
    assert (report.created, report.duplicates) == (1, 1)


def test_canonical_english_headers_work():
    header = ["text", "channel", "received_at", "customer_name", "phone", "email", "product", "lot", "order_no",
              "quantity_delivered", "quantity_defective", "amount", "region", "demand", "external_id"]
    row = ["中轴断裂", "email", "2026-11-01 08:00", "刘工", "13820013344", "liu@example.com", "PD-450", "L1",
           "PO-1", "1000", "350", "5000", "天津", "replacement", "E-9"]
    report = run(csv_bytes([header, row]))
    assert report.created == 1, report.errors
    complaint = Complaint.objects.get()
    assert complaint.defect_rate == pytest.approx(0.35)
    assert complaint.demand == "replacement"


def test_gbk_encoded_csv_from_windows_excel_is_read():
    report = run(csv_bytes([["投诉内容", "地区"], ["快递丢件", "广东"]], encoding="gbk"))
    assert report.created == 1
    assert Complaint.objects.get().region == "广东"


def test_utf8_with_bom_and_semicolons_is_read():
    content = "\ufefftext;region\n发票开错;天津\n".encode()
    assert run(content).created == 1


def test_a_file_without_a_text_column_imports_nothing_and_says_why():
    report = run(csv_bytes([["姓名", "电话"], ["张三", "13812345678"]]))
    assert report.created == 0
    assert report.errors[0].column == "text"


def test_an_unsupported_file_type_is_refused():
    report = run(b"whatever", name="export.pdf")
    assert report.created == 0
    assert ".csv" in report.errors[0].reason


def test_a_broken_workbook_is_refused_cleanly():
    report = run(b"PK\x03\x04 not really a zip", name="export.xlsx")
    assert report.created == 0 and report.errors


def test_excel_workbooks_import_with_native_dates_and_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["投诉内容", "投诉时间", "金额", "交货数量", "不良数量", "联系电话"])
    from datetime import datetime

    sheet.append(["脚踏体开裂", datetime(2026, 11, 3, 9, 30), 1200.5, 800, 9, 13812345678])
    sheet.append(["滚珠卡死", "2026-11-04", None, 1000, 2000, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(buffer.getvalue(), name="export.xlsx")
    assert report.created == 1
    assert [(e.row, e.column) for e in report.errors] == [(3, "不良数量")]
    complaint = Complaint.objects.get()
    assert str(complaint.amount) == "1200.50" and complaint.phone == "13812345678"
    assert timezone.localtime(complaint.received_at).hour == 9


def test_imported_complaints_go_to_the_channels_duty_agent():
    from tousu.complaints.models import ChannelDuty

    department = make_department()
    agent = make_user(Role.AGENT, department=department)
    ChannelDuty.objects.create(channel="email", agent=agent)
    run(csv_bytes([["text", "channel"], ["邮件来的", "email"], ["网站来的", "web"]]))
    assert Complaint.objects.get(channel="email").first_owner == agent
    assert Complaint.objects.get(channel="email").department == department
    assert Complaint.objects.get(channel="web").owner is None


def test_the_command_prints_json(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(GOOD_AND_BAD))
    call_command("import", str(path), "--json", "--no-progress")
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 2 and report["duplicates"] == 0
    assert any(e["row"] == 4 and e["column"] == "联系电话" and e["reason"] for e in report["errors"])
    call_command("import", str(path), "--json", "--no-progress")
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["duplicates"]) == (0, 2)


def test_the_command_takes_a_default_channel(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(csv_bytes([["text"], ["电话投诉"]]))
    call_command("import", str(path), "--channel", "phone", "--no-progress")
    assert Complaint.objects.get().channel == "phone"


def test_the_upload_page_imports_in_the_background_and_shows_the_report(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tousu.complaints.models import ImportJob
    from tousu.intake.import_jobs import run_import

    specialist = make_user(Role.SPECIALIST, department=make_department())
    client.force_login(specialist)
    upload = SimpleUploadedFile("export.csv", csv_bytes(GOOD_AND_BAD), content_type="text/csv")
    response = client.post("/complaints/import/", {"file": upload, "channel": ""})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/complaints/import/{job.pk}/"
    assert job.state == "queued" and job.by == specialist and Complaint.objects.count() == 0
    waiting = client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in waiting  # the page follows the job until it ends

    run_import(job.pk)  # what the queue worker does
    job.refresh_from_db()
    assert (job.state, job.created, job.duplicates, job.error_count) == ("done", 2, 0, 4)
    assert Complaint.objects.count() == 2
    page = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "联系电话" in page and "import-report" in page and "every 2s" not in page
    assert "export.csv" in client.get("/complaints/import/").content.decode()  # among the recent imports


def test_agents_may_not_bulk_import(client):
    client.force_login(make_user(Role.AGENT))
    assert client.get("/complaints/import/").status_code == 403


def test_many_rows_import_in_batches():
    rows = [["external_id", "text"]] + [[f"X{i}", f"第{i}件投诉"] for i in range(4500)]
    report = run(csv_bytes(rows))
    assert report.created == 4500
    assert Complaint.objects.count() == 4500
    assert len(set(Complaint.objects.values_list("tracking_number", flat=True))) == 4500


@pytest.mark.django_db
def test_when_the_batch_insert_collides_rows_are_stored_one_by_one_completely(monkeypatch):
    import io

    from django.db import IntegrityError
    from django.utils import timezone

    from tousu.complaints.models import Complaint
    from tousu.intake import pipeline as intake
    from tousu.intake.imports import import_file

    real = intake.insert_rows

    def collide(model, columns, rows):
        if model is Complaint:
            raise IntegrityError("simulated clash with a concurrent import")
        return real(model, columns, rows)

    monkeypatch.setattr(intake, "insert_rows", collide)
    report = import_file(io.BytesIO("text\n想咨询一下退货流程\n孩子被烫伤住院了\n".encode()), "x.csv", by=None,
                         now=timezone.now())
    assert report.created == 2
    for complaint in Complaint.objects.all():
        assert complaint.assessments.count() == 1 and complaint.deadlines.count() == 3
    assert Complaint.objects.get(emergency=True).emergency_plans.count() == 1
