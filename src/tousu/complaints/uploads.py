"""What an uploaded file really is, and whether Tousu takes it (attachments and import files).

The name's extension says what the sender claims; the first bytes say what it is. A file is taken only
when both agree and the type is one Tousu keeps: a program renamed `.jpg`, a zip renamed `.xlsx`, a `.pdf`
that does not start with `%PDF-` are refused, each with its field and the reason. Checked before anything
is stored, so a refused upload leaves nothing behind.
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.complaints.validation import FieldError, IntakeError

HEAD_BYTES = 65536
# A workbook or document whose members unpack to more than this many times its size is a zip bomb.
MAX_ZIP_RATIO = 100

# What each kind of content is called in an error message.
KIND_LABELS = {
    "jpeg": gettext_lazy("JPEG image"), "png": gettext_lazy("PNG image"), "gif": gettext_lazy("GIF image"),
    "webp": gettext_lazy("WebP image"), "bmp": gettext_lazy("BMP image"), "tiff": gettext_lazy("TIFF image"),
    "heif": gettext_lazy("HEIC image"), "pdf": gettext_lazy("PDF document"), "mp3": gettext_lazy("MP3 or AAC audio"),
    "wav": gettext_lazy("WAV audio"), "amr": gettext_lazy("AMR recording"), "ogg": gettext_lazy("Ogg audio"),
    "mp4": gettext_lazy("MP4, M4A, MOV or 3GP media"), "avi": gettext_lazy("AVI video"),
    "ole": gettext_lazy("old Office document (.doc, .xls, .ppt)"), "docx": gettext_lazy("Word document (.docx)"),
    "xlsx": gettext_lazy("Excel workbook (.xlsx)"), "pptx": gettext_lazy("PowerPoint document (.pptx)"),
    "zip": gettext_lazy("zip archive"), "text": gettext_lazy("plain text"), "exe": gettext_lazy("Windows program"),
    "elf": gettext_lazy("Linux program"), "macho": gettext_lazy("macOS program"), "script": gettext_lazy("script"),
    "html": gettext_lazy("web page"), "empty": gettext_lazy("empty file"),
}

# Extension -> (the content it must hold, the MIME type the download is served with).
ATTACHMENT_TYPES: dict[str, tuple[str, str]] = {
    ".jpg": ("jpeg", "image/jpeg"), ".jpeg": ("jpeg", "image/jpeg"), ".png": ("png", "image/png"),
    ".gif": ("gif", "image/gif"), ".webp": ("webp", "image/webp"), ".bmp": ("bmp", "image/bmp"),
    ".tif": ("tiff", "image/tiff"), ".tiff": ("tiff", "image/tiff"), ".heic": ("heif", "image/heic"),
    ".heif": ("heif", "image/heif"), ".pdf": ("pdf", "application/pdf"),
    ".mp3": ("mp3", "audio/mpeg"), ".aac": ("mp3", "audio/aac"), ".wav": ("wav", "audio/wav"),
    ".amr": ("amr", "audio/amr"), ".ogg": ("ogg", "audio/ogg"), ".m4a": ("mp4", "audio/mp4"),
    ".mp4": ("mp4", "video/mp4"), ".mov": ("mp4", "video/quicktime"), ".3gp": ("mp4", "video/3gpp"),
    ".avi": ("avi", "video/x-msvideo"),
    ".doc": ("ole", "application/msword"), ".xls": ("ole", "application/vnd.ms-excel"),
    ".ppt": ("ole", "application/vnd.ms-powerpoint"),
    ".docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".txt": ("text", "text/plain; charset=utf-8"), ".csv": ("text", "text/csv; charset=utf-8"),
}
IMPORT_TYPES = {".csv": "text", ".xlsx": "xlsx"}

_OOXML_PARTS = (("xl/workbook.xml", "xlsx"), ("word/document.xml", "docx"), ("ppt/presentation.xml", "pptx"))
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


@dataclass(frozen=True)
class Checked:
    kind: str
    content_type: str


class Refused(IntakeError):
    """The upload is not taken; `error` names the field and says why, `facts` is the same as data."""

    def __init__(self, error: FieldError, facts: dict):
        super().__init__([error])
        self.error = error
        self.facts = facts


def _zip_kind(stream: IO[bytes], size: int) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "zip"
    if size and unpacked > max(size, 1) * MAX_ZIP_RATIO:
        return "zip"  # unpacks far beyond its size: not taken as a workbook or document
    for part, kind in _OOXML_PARTS:
        if part in names:
            return kind
    return "zip"


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3 and len(head) == HEAD_BYTES:
                return True  # a multi-byte character cut by the sample's end
    return False


def sniff(head: bytes, stream: IO[bytes] | None = None, size: int = 0) -> str:
    """The kind of content the first bytes show (`stream`, seekable, lets zips be looked into)."""
    if not head:
        return "empty"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12], "riff")
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return "heif" if head[8:12] in _HEIF_BRANDS else "mp4"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(stream, size) if stream is not None else "zip"
    if head.startswith(b"MZ"):
        return "exe"
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "macho"
    if head.startswith(b"#!"):
        return "script"
    if _is_text(head):
        start = head[:512].lstrip().lower()
        if start.startswith((b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")):
            return "html"  # would run in a browser that opened it
        return "text"
    return "unknown"


def _read_head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _allowed(purpose: str) -> str:
    if purpose == "import":
        return ".csv, .xlsx"
    return _("images (jpg, png, gif, webp, bmp, tiff, heic), PDF, audio (mp3, aac, wav, amr, ogg, m4a), video (mp4, "
             "mov, 3gp, avi), Word, Excel and PowerPoint documents, txt, csv")


def refusal_reason(facts: dict) -> str:
    """Why a file was refused, in the reader's language, from the facts `Refused` carries (and the history
    keeps: an email's refused attachment is noted on its complaint)."""
    name, problem = facts.get("name", ""), facts.get("problem", "")
    if problem == "type":
        return _("%(name)s: files of this type are not taken; allowed: %(allowed)s") % {
            "name": name, "allowed": _allowed(facts.get("purpose", ""))}
    if problem == "size":
        return _("%(name)s is %(size)s MB, larger than the %(max)s MB allowed") % {
            "name": name, "size": _megabytes(facts.get("size", 0)), "max": _megabytes(facts.get("max", 0))}
    if problem == "empty":
        return _("%(name)s is empty") % {"name": name}
    values = {"name": name, "expected": KIND_LABELS.get(facts.get("expected", ""), facts.get("expected", "")),
              "found": KIND_LABELS.get(facts.get("found", ""))}
    if values["found"]:
        return _("%(name)s: the name says %(expected)s but the content is %(found)s") % values
    return _("%(name)s: the name says %(expected)s but the content is not") % values


def _check(upload: UploadedFile, *, field: str, types: dict[str, str], max_bytes: int, purpose: str) -> str:
    name = upload.name or "upload"
    suffix = Path(name).suffix.lower()
    facts: dict = {"name": name, "purpose": purpose}
    if suffix not in types:
        facts["problem"] = "type"
    elif (upload.size or 0) > max_bytes:
        facts.update(problem="size", size=upload.size, max=max_bytes)
    else:
        kind = sniff(_read_head(upload), upload, upload.size or 0)
        upload.seek(0)
        if kind == "empty":
            facts["problem"] = "empty"
        elif kind != types[suffix]:
            facts.update(problem="content", expected=types[suffix], found=kind)
        else:
            return kind
    raise Refused(FieldError(field, refusal_reason(facts)), facts)


def check_attachment(upload: UploadedFile, *, field: str = "attachments") -> Checked:
    """The attachment's kind and the MIME type to serve it with; `Refused` when it is not taken."""
    types = {suffix: kind for suffix, (kind, _mime) in ATTACHMENT_TYPES.items()}
    kind = _check(upload, field=field, types=types, max_bytes=settings.TOUSU_MAX_ATTACHMENT_BYTES,
                  purpose="attachment")
    return Checked(kind, ATTACHMENT_TYPES[Path(upload.name or "").suffix.lower()][1])


def check_import_file(upload: UploadedFile, *, field: str = "file") -> Checked:
    """An import file is a .csv that is text or an .xlsx that is a workbook, within the size limit."""
    kind = _check(upload, field=field, types=IMPORT_TYPES, max_bytes=settings.TOUSU_MAX_IMPORT_BYTES,
                  purpose="import")
    return Checked(kind, ATTACHMENT_TYPES[Path(upload.name or "").suffix.lower()][1])


class Oversized(UploadedFile):
    """What is kept of a file past every size limit: its name and its full size, none of its content."""

    def __init__(self, name: str, content_type: str, size: int):
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


class UploadCeiling(FileUploadHandler):
    """First of Django's upload handlers: past the largest size Tousu takes anywhere it stops passing the file
    on (to memory or a temporary file) and only counts it, so a huge upload — the public form takes files
    from anyone — fills no disk, and the refusal still gives its real size."""

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.ceiling = max(settings.TOUSU_MAX_ATTACHMENT_BYTES, settings.TOUSU_MAX_IMPORT_BYTES)
        self.over = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.ceiling:
            self.over = True
            return None  # the handlers after this one get no more of it
        return raw_data

    def file_complete(self, file_size):
        if self.over:
            return Oversized(self.file_name, self.content_type, file_size)
        return None
