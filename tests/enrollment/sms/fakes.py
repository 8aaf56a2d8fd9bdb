"""Stand-ins for the SMS provider: a recording backend, and a Kavenegar-style HTTP server on loopback."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from enrollment.sms.backends import SendResult


class RecordingBackend:
    """Takes every message and remembers it; `delay` widens the window two racing senders share."""

    sent: list[dict[str, str]] = []  # on the class: each send builds a new backend
    delay = 0.0
    keeps_secret = False

    def send(self, *, mobile: str, text: str, local_id: str) -> SendResult:
        time.sleep(self.delay)
        RecordingBackend.sent.append({"mobile": mobile, "text": text, "local_id": local_id})
        return SendResult(provider_message_id=f"rec-{local_id}")


@dataclass(frozen=True)
class Call:
    path: str
    fields: dict[str, str]


class FakeKavenegar:
    """POST /v1/{key}/sms/send.json, answered the way Kavenegar answers.

    Like Kavenegar it de-duplicates on `localid`: a message whose localid it has seen is not delivered
    again, and the answer names the first delivery. `mode` is "up", "down" (HTTP 500) or "slow"
    (answers after the client has given up).
    """

    API_KEY = "test-api-key"

    def __init__(self, port: int = 0) -> None:
        self.calls: list[Call] = []
        self.delivered: dict[str, int] = {}  # localid → messageid: what reached a phone, once each
        self.deliveries: list[str] = []  # the localid of every SMS a phone received
        self.mode = "up"
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> "FakeKavenegar":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, fields: dict[str, str]) -> tuple[int, bytes]:
        with self._lock:
            self.calls.append(Call(path, fields))
            if self.mode == "down":
                return 500, b"<html>Internal Server Error</html>"
            if path != f"/v1/{self.API_KEY}/sms/send.json":
                return 401, _json(401, "کلید API معتبر نیست")
            if not fields.get("receptor", "").startswith("09"):
                return 411, _json(411, "گیرنده نامعتبر است")
            local_id = fields.get("localid", "")
            if local_id not in self.delivered:
                self.delivered[local_id] = 8792343 + len(self.delivered)
                self.deliveries.append(local_id)
            entry = {"messageid": self.delivered[local_id], "status": 1, "statustext": "در صف ارسال"}
            return 200, json.dumps({"return": {"status": 200, "message": "تایید شد"}, "entries": [entry]}).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                fields = {key: values[0] for key, values in parse_qs(body).items()}
                if fake.mode == "slow":
                    time.sleep(1.5)
                status, payload = fake.answer(self.path, fields)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up waiting
                    pass

            def do_GET(self) -> None:
                """GET /calls: every send so far, as JSON (the production smoke reads its codes here)."""
                if self.path != "/calls":
                    self.send_error(404)
                    return
                with fake._lock:
                    payload = json.dumps([{"path": c.path, **c.fields} for c in fake.calls]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args) -> None:
                pass

        return Handler


def _json(status: int, message: str) -> bytes:
    return json.dumps({"return": {"status": status, "message": message}, "entries": None}).encode()
