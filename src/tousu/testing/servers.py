"""Real servers on 127.0.0.1 for delivery tests: an SMTP server (aiosmtpd) and a chat-webhook server."""

import json
import socket
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.inbox = _Inbox()
        self.port = free_port()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    @property
    def messages(self):
        return self.inbox.messages


class WebhookServer:
    """Records every POST; `processed` holds each Idempotency-Key once, as a receiver that recognises
    repeats would. `fail_next` makes the next answers fail; `hold_first` keeps the first request
    waiting (a delivery in flight) until `release` is set; `delay` makes every answer take that many
    seconds (a slow far side), and `in_flight` counts the requests not answered yet."""

    def __init__(self, *, answer: dict | None = None, delay: float = 0.0):
        self.requests: list[dict] = []
        self.processed: dict[str, dict] = {}
        self.fail_next = 0
        self.delay = delay
        self._waiting: set[int] = set()  # set.add/discard are atomic: handlers run in threads
        self.answer = answer or {"errcode": 0, "errmsg": "ok"}
        self.hold_first = False
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                outer.requests.append({"path": self.path, "key": key, "body": body})
                if outer.delay:
                    outer._waiting.add(id(self))
                    try:
                        time.sleep(outer.delay)
                    finally:
                        outer._waiting.discard(id(self))
                if outer.hold_first and len(outer.requests) == 1:
                    outer.first_arrived.set()
                    outer.release.wait(60)
                    return  # the sender was killed meanwhile; nobody reads an answer
                if outer.fail_next:
                    outer.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.processed.setdefault(key, body)
                data = json.dumps(outer.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/robot/send?key=test"

    @property
    def in_flight(self) -> int:
        return len(self._waiting)

    def __enter__(self) -> "WebhookServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


class DovecotServer:
    """Debian's dovecot on 127.0.0.1 with one mailbox user (`complaints`, password `secret`)."""

    USER, PASSWORD = "complaints", "secret"

    def __init__(self):
        import shutil
        import tempfile

        self._shutil = shutil
        self.binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.root = Path(tempfile.mkdtemp(prefix="tousu-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self._process = None

    @staticmethod
    def available() -> bool:
        return Path("/usr/sbin/dovecot").exists() and Path("/usr/lib/dovecot/imap").exists()

    def __enter__(self) -> "DovecotServer":
        import subprocess

        mail = self.root / "mail"
        mail.mkdir()
        owner = "dovecot"
        self._shutil.chown(mail, owner, owner)
        config = self.root / "dovecot.conf"
        config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{mail}/%u
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = static
  args = password={self.PASSWORD}
}}
userdb {{
  driver = static
  args = uid={owner} gid={owner} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
        self._process = subprocess.Popen([self.binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        import time

        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"dovecot did not start: {(self.root / 'dovecot.log').read_text(errors='replace')}")
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
        self._shutil.rmtree(self.root, ignore_errors=True)

    def deliver(self, raw: bytes) -> None:
        """Put a message into the INBOX the way a mail server would (unseen)."""
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.USER, self.PASSWORD)
        client.append("INBOX", "", None, raw)
        client.logout()

    def unseen(self) -> int:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.USER, self.PASSWORD)
        client.select("INBOX")
        _status, found = client.search(None, "UNSEEN")
        client.logout()
        return len(found[0].split()) if found and found[0] else 0


class RedisServer:
    """A throwaway Debian `redis-server` on 127.0.0.1 without persistence (DESIGN.md), for queue tests."""

    def __init__(self):
        import shutil

        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = None

    @staticmethod
    def available() -> bool:
        import shutil

        return shutil.which("redis-server") is not None

    def __enter__(self) -> "RedisServer":
        import subprocess

        if self.binary is None:
            raise RuntimeError("redis-server is not installed (scripts/system-deps.sh installs it)")
        self._process = subprocess.Popen([self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                          "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self._process.kill()
        raise RuntimeError(f"redis-server did not listen on port {self.port}")

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
