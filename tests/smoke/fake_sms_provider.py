"""The Kavenegar-style fake provider as a process of its own, for the production stack on one machine
(deploy/prod-local.sh): the stack's SMS go to it, and GET /calls lists them.

    python -m tests.smoke.fake_sms_provider --port 8765 [--no-dedup] [--slow-seconds 3]

POST /mode with mode=up|down|refuse|slow switches its behaviour while it runs (bench/faults.py).
"""

import argparse
import contextlib
import signal
import threading

from tests.enrollment.sms.fakes import FakeKavenegar


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-dedup", action="store_true", help="deliver a repeated localid again")
    parser.add_argument("--slow-seconds", type=float, default=1.5, help="how late the slow mode answers")
    args = parser.parse_args()
    provider = FakeKavenegar(port=args.port, dedup=not args.no_dedup, slow_seconds=args.slow_seconds).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(f"fake SMS provider on {provider.url} (API key {FakeKavenegar.API_KEY}); sends listed at /calls", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    provider.stop()


if __name__ == "__main__":
    main()
