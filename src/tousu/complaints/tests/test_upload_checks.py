"""Uploads are taken only when their size is within the limit and their content is what their name says;
a refused upload names the field and the reason and leaves nothing stored."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tousu.accounts.roles import Role
from tousu.complaints.models import Attachment, Complaint, ComplaintEvent, ImportJob
from tousu.complaints.uploads import sniff
from tousu.testing import bearer, make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode.\r\n"


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["text"])
    book.active.append(["热水壶漏电，要求退款"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


@pytest.fixture
def agent():
    return make_user(Role.AGENT, department=make_department())


# ---- what the content is ------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "kind"), [
    (JPEG, "jpeg"), (PNG, "png"), (PDF, "pdf"), (EXE, "exe"), (b"\x7fELF\x02\x01\x01", "elf"),
    ("编号,内容\n1,热水壶漏电\n".encode(), "text"), ("编号,内容\n1,热水壶漏电\n".encode("gbk"), "text"),
    (b"<!DOCTYPE html><script>alert(1)</script>", "html"), (b"", "empty"),
])
def test_the_first_bytes_say_what_a_file_is(content, kind):
    assert sniff(content[:65536], io.BytesIO(content), len(content)) == kind


def test_a_workbook_is_a_zip_holding_xl_workbook_xml():
    book = workbook_bytes()
    assert sniff(book, io.BytesIO(book), len(book)) == "xlsx"
    other = zip_bytes({"notes.txt": b"hello"})
    assert sniff(other, io.BytesIO(other), len(other)) == "zip"


def test_a_zip_bomb_is_not_taken_for_a_workbook():
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                      "xl/worksheets/sheet1.xml": b"0" * 20_000_000})
    assert len(bomb) < 100_000
    assert sniff(bomb, io.BytesIO(bomb), len(bomb)) == "zip"


# ---- attachments through the API ----------------------------------------------------------------

def test_a_program_renamed_jpg_is_refused_through_the_api_and_nothing_is_stored(client, agent, media):
    complaint = make_complaint(by=agent)
    events = ComplaintEvent.objects.filter(complaint=complaint).count()
    response = client.post(f"/api/complaints/{complaint.tracking_number}/attachments",
                           {"file": SimpleUploadedFile("发票.jpg", EXE, content_type="image/jpeg")},
                           headers=bearer(agent))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file"
    assert "发票.jpg" in error["reason"] and "JPEG 图片" in error["reason"] and "Windows 程序" in error["reason"]
    assert not Attachment.objects.exists() and not stored_files(media)
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == events


@pytest.mark.parametrize(("name", "content", "said"), [
    ("report.pdf", b"just some words, no PDF header", "PDF 文档"),
    ("tool.exe", EXE, "不接受此类文件"),
    ("archive.zip", zip_bytes({"a.txt": b"x"}), "不接受此类文件"),
    ("page.txt", b"<html><body onload=alert(1)>", "网页"),
    ("empty.png", b"", "是空文件"),
])
def test_attachments_whose_type_or_content_is_wrong_are_refused(client, agent, media, name, content, said):
    complaint = make_complaint(by=agent)
    response = client.post(f"/api/complaints/{complaint.tracking_number}/attachments",
                           {"file": SimpleUploadedFile(name, content)}, headers=bearer(agent))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file" and name in error["reason"] and said in error["reason"], error
    assert not Attachment.objects.exists() and not stored_files(media)


def test_an_attachment_over_the_size_limit_is_refused_naming_both_sizes(client, agent, media, settings):
    settings.TOUSU_MAX_ATTACHMENT_BYTES = 1024 * 1024
    complaint = make_complaint(by=agent)
    big = JPEG + b"\x00" * (1024 * 1024 + 200_000)
    response = client.post(f"/api/complaints/{complaint.tracking_number}/attachments",
                           {"file": SimpleUploadedFile("big.jpg", big)}, headers=bearer(agent))
    assert response.status_code == 422
    reason = response.json()["errors"][0]["reason"]
    assert "big.jpg" in reason and "1.2 MB" in reason and "1 MB" in reason
    assert not Attachment.objects.exists() and not stored_files(media)


def test_a_real_image_is_stored_with_the_type_its_content_shows(client, agent, media):
    complaint = make_complaint(by=agent)
    response = client.post(f"/api/complaints/{complaint.tracking_number}/attachments",
                           {"file": SimpleUploadedFile("crack.png", PNG, content_type="text/html")},
                           headers=bearer(agent))
    assert response.status_code == 201, response.content
    assert Attachment.objects.get().content_type == "image/png"  # not what the sender claimed
    assert len(stored_files(media)) == 1


# ---- attachments on the pages -------------------------------------------------------------------

def test_one_bad_file_among_good_ones_on_the_complaint_page_stores_none(client, agent, media):
    complaint = make_complaint(by=agent)
    client.force_login(agent)
    response = client.post(f"/complaints/{complaint.tracking_number}/attachments/", {"attachments": [
        SimpleUploadedFile("photo.jpg", JPEG), SimpleUploadedFile("scan.pdf", EXE)]}, follow=True)
    page = response.content.decode()
    assert "scan.pdf" in page and "Windows 程序" in page
    assert not Attachment.objects.exists() and not stored_files(media)


def test_the_entry_form_names_a_bad_attachment_beside_the_field_and_stores_no_complaint(client, agent, media):
    client.force_login(agent)
    response = client.post("/complaints/new/", {
        "channel": "phone", "text": "脚踏体开裂，骑行摔倒", "customer_level": "regular",
        "attachments": [SimpleUploadedFile("照片.jpg", EXE)]})
    assert response.status_code == 422
    errors = response.context["form"].errors["attachments"]
    assert any("照片.jpg" in e and "Windows 程序" in e for e in errors)
    assert not Complaint.objects.exists() and not stored_files(media)


def test_the_public_form_refuses_a_renamed_program_and_stores_nothing(client, media):
    response = client.post("/public/", {"text": "买的热水壶漏电", "phone": "13800138000",
                                        "attachments": [SimpleUploadedFile("发票.png", EXE)]})
    assert response.status_code == 422
    assert "发票.png" in response.content.decode()
    assert not Complaint.objects.exists() and not stored_files(media)


# ---- import files -------------------------------------------------------------------------------

@pytest.fixture
def importer():
    return make_user(Role.SPECIALIST, department=make_department())


@pytest.mark.parametrize(("name", "content", "said"), [
    ("export.xlsx", zip_bytes({"notes.txt": b"hello"}), "Excel 工作簿"),
    ("export.xlsx", EXE, "Windows 程序"),
    ("export.csv", EXE, "文本"),
    ("export.csv", b"\x00\x01\x02binary\x00", "文本"),
    ("export.pdf", PDF, "不接受此类文件"),
])
def test_an_import_file_that_is_not_what_it_says_is_refused_at_upload(client, importer, media, name, content, said):
    response = client.post("/api/imports", {"file": SimpleUploadedFile(name, content)}, headers=bearer(importer))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file" and name in error["reason"] and said in error["reason"], error
    assert not ImportJob.objects.exists() and not stored_files(media)


def test_an_import_file_over_the_size_limit_is_refused(client, importer, media, settings):
    settings.TOUSU_MAX_IMPORT_BYTES = 2 * 1024 * 1024
    content = b"text\n" + "热水壶漏电\n".encode() * 200_000
    response = client.post("/api/imports", {"file": SimpleUploadedFile("big.csv", content)}, headers=bearer(importer))
    assert response.status_code == 422
    assert "big.csv" in response.json()["errors"][0]["reason"] and "2 MB" in response.json()["errors"][0]["reason"]
    assert not ImportJob.objects.exists() and not stored_files(media)


def test_a_real_workbook_and_a_gbk_csv_are_taken(client, importer, media):
    auth = bearer(importer)
    assert client.post("/api/imports", {"file": SimpleUploadedFile("calls.xlsx", workbook_bytes())},
                       headers=auth).status_code == 202
    gbk = "text\n热水壶漏电\n".encode("gbk")
    assert client.post("/api/imports", {"file": SimpleUploadedFile("calls.csv", gbk)}, headers=auth).status_code == 202
    assert ImportJob.objects.count() == 2


def test_the_upload_page_names_the_refused_file_beside_the_field(client, importer, media):
    client.force_login(importer)
    response = client.post("/complaints/import/", {"file": SimpleUploadedFile("export.xlsx", EXE), "channel": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any("export.xlsx" in e and "Windows 程序" in e for e in errors)
    assert not ImportJob.objects.exists() and not stored_files(media)


# ---- email attachments ----------------------------------------------------------------------------

def test_an_emailed_complaint_is_kept_without_a_refused_attachment_and_says_so(client, media):
    from email.message import EmailMessage

    from django.utils import timezone

    from tousu.core.display import history
    from tousu.intake.email import ingest

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "王女士 <wang@example.com>", "tousu@example.com", "热水壶漏电"
    message["Message-ID"] = "<refused-attachment@example.com>"
    message.set_content("用了三天就漏电，要求退款")
    message.add_attachment(EXE, maintype="image", subtype="jpeg", filename="照片.jpg")
    message.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="真照片.jpg")
    outcome, number = ingest(message.as_bytes(), now=timezone.now())
    assert outcome == "created"
    complaint = Complaint.objects.get(tracking_number=number)
    assert [a.original_name for a in complaint.attachments.all()] == ["真照片.jpg"]
    assert len(stored_files(media)) == 1
    lines = [line for entry in history(complaint.events.all()) for line in entry.lines]
    assert any("附件未保存" in line and "照片.jpg" in line and "Windows 程序" in line for line in lines), lines


# ---- past every limit -------------------------------------------------------------------------------

def test_a_file_past_every_limit_is_counted_not_kept_and_refused_with_its_real_size(client, importer, media,
                                                                                   settings):
    from django.core.files.uploadhandler import load_handler
    from django.http.multipartparser import MultiPartParser
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from tousu.complaints.uploads import Oversized

    settings.TOUSU_MAX_ATTACHMENT_BYTES = settings.TOUSU_MAX_IMPORT_BYTES = 1024 * 1024
    huge = b"text\n" + b"x" * (3 * 1024 * 1024)
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("huge.csv", huge)})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    handlers = [load_handler(path) for path in settings.FILE_UPLOAD_HANDLERS]
    _post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    kept = files["file"]
    assert isinstance(kept, Oversized) and kept.size == len(huge) and kept.read() == b""

    response = client.post("/api/imports", {"file": SimpleUploadedFile("huge.csv", huge)}, headers=bearer(importer))
    assert response.status_code == 422
    reason = response.json()["errors"][0]["reason"]
    assert "huge.csv" in reason and "3 MB" in reason and "1 MB" in reason
    assert not ImportJob.objects.exists() and not stored_files(media)
