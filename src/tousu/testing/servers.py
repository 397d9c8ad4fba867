"""Real servers on 127.0.0.1 for delivery tests: an SMTP server (aiosmtpd) and a chat-webhook server."""

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    waiting (a delivery in flight) until `release` is set."""

    def __init__(self, *, answer: dict | None = None):
        self.requests: list[dict] = []
        self.processed: dict[str, dict] = {}
        self.fail_next = 0
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

    def __enter__(self) -> "WebhookServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
