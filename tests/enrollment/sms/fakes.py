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
    at: float = 0.0  # time.time() when the request arrived


MODES = ("up", "down", "refuse", "slow")


class FakeKavenegar:
    """POST /v1/{key}/sms/send.json, answered the way Kavenegar answers.

    Like Kavenegar it de-duplicates on `localid`: a message whose localid it has seen is not delivered
    again, and the answer names the first delivery. With `dedup=False` it delivers every call, so a
    test sees the repeats the localid prevents. `mode` is "up", "down" (HTTP 500), "refuse" (Kavenegar's
    own refusal, 418 "not enough credit") or "slow" (answers `slow_seconds` later, after the client
    has given up; the message is still delivered, as a provider that took it would).
    POST /mode with mode=... (and dedup=0/1) changes it from another process (bench/faults.py).
    """

    API_KEY = "test-api-key"

    def __init__(self, port: int = 0, *, dedup: bool = True, slow_seconds: float = 1.5) -> None:
        self.calls: list[Call] = []
        self.delivered: dict[str, int] = {}  # localid → messageid of its first delivery
        self.deliveries: list[str] = []  # the localid of every SMS a phone received
        self.delivering_calls: set[int] = set()  # the index in `calls` of each call that made a delivery
        self.dedup = dedup
        self.slow_seconds = slow_seconds
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
            self.calls.append(Call(path, fields, time.time()))
            if self.mode == "down":
                return 500, b"<html>Internal Server Error</html>"
            if self.mode == "refuse":
                return 418, _json(418, "اعتبار حساب کافی نمی‌باشد")
            if path != f"/v1/{self.API_KEY}/sms/send.json":
                return 401, _json(401, "کلید API معتبر نیست")
            if not fields.get("receptor", "").startswith("09"):
                return 411, _json(411, "گیرنده نامعتبر است")
            local_id = fields.get("localid", "")
            message_id = 8792343 + len(self.deliveries)
            if not self.dedup or local_id not in self.delivered:
                self.delivered.setdefault(local_id, message_id)
                self.deliveries.append(local_id)
                self.delivering_calls.add(len(self.calls) - 1)
            else:
                message_id = self.delivered[local_id]  # Kavenegar's answer to a repeat: the first message
            entry = {"messageid": message_id, "status": 1, "statustext": "در صف ارسال"}
            return 200, json.dumps({"return": {"status": 200, "message": "تایید شد"}, "entries": [entry]}).encode()

    def control(self, fields: dict[str, str]) -> tuple[int, bytes]:
        """POST /mode: mode=up|down|refuse|slow, and optionally dedup=0|1."""
        if fields.get("mode", self.mode) not in MODES or fields.get("dedup", "1") not in ("0", "1"):
            return 400, b"{}"
        with self._lock:
            self.mode = fields.get("mode", self.mode)
            self.dedup = fields.get("dedup", "1" if self.dedup else "0") == "1"
        return 200, json.dumps({"mode": self.mode, "dedup": self.dedup}).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                fields = {key: values[0] for key, values in parse_qs(body).items()}
                if self.path == "/mode":
                    status, payload = fake.control(fields)
                else:
                    if fake.mode == "slow":
                        time.sleep(fake.slow_seconds)
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
                """GET /calls: every send so far, as JSON (the production smoke reads its codes here), with
                the time it arrived and whether it reached a phone."""
                if self.path != "/calls":
                    self.send_error(404)
                    return
                with fake._lock:
                    payload = json.dumps(
                        [
                            {"path": c.path, "at": c.at, "delivered": i in fake.delivering_calls, **c.fields}
                            for i, c in enumerate(fake.calls)
                        ]
                    ).encode()
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
