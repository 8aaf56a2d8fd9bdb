"""`make faults`: SMS are delivered once, none lost, while the provider, a worker, Redis and PostgreSQL fail.

    python bench/faults.py [--messages 300] [--phase-seconds 60] [--no-dedup] [--settle-minutes 10]

Starts its own production-like stack (bench/_stack.py: PostgreSQL, Redis without persistence, the fake
Kavenegar, two qcluster processes of the SMS cluster with SMS_TIMEOUT=2) with 4 × --messages synthetic
requests and, while it makes --messages Kanoon approvals through the workflow (each in a transaction of
its own, its SMS queued with the move and handed to a worker after commit), injects one fault after
another, each for --phase-seconds:

    the provider answers HTTP 500, then refuses (Kavenegar's 418), then answers after 4 s (the client gives
    up after 2 s but the message is delivered); a qcluster killed with SIGKILL in the middle of the slow
    phase (restarted 5 s later); Redis restarted (its queued tasks are lost); PostgreSQL restarted.

Then it waits until every committed message reached a phone and its outbox row says «sent», or
--settle-minutes after the last fault, and prints: delivered once, delivered more than once, lost, still
pending in the outbox, the calls beyond one a message (timeouts, refusals, re-sends after a kill: the
localid makes the accepted ones harmless), and the time from the last fault to the last delivery. It exits 1 unless
nothing was lost or doubled. --no-dedup runs the provider without its localid de-duplication, to show
the repeats that the localid prevents.
"""

import argparse
import contextlib
import logging
import sys
import threading
import time
from collections import Counter

from _django import django_setup
from _stack import Stack

SLOW_SECONDS = 4.0
SMS_TIMEOUT = 2


class Pusher(threading.Thread):
    """Makes `total` Kanoon approvals through the workflow evenly over `seconds`, each in its own transaction
    with its SMS queued as every move queues it; a move whose transaction failed (PostgreSQL away) is tried
    again, and one that had committed before the error is found by its SMS row."""

    def __init__(self, *, total: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.total, self.interval = total, seconds / total
        self.committed: dict[int, float] = {}  # outbox id → when its move committed
        self.retries = 0

    def run(self) -> None:
        from django.contrib.auth.models import User
        from django.db import DatabaseError, connection

        from enrollment import workflow
        from enrollment.models import EnrollmentRequest, RequestStatus
        from enrollment.sms.models import OutboxMessage

        clerk = User.objects.get(username=CLERK)
        waiting = EnrollmentRequest.objects.filter(status=RequestStatus.KANOON_REVIEW).order_by("pk")
        request_ids = list(waiting.values_list("pk", flat=True)[: self.total])
        if len(request_ids) < self.total:
            raise SystemExit(f"only {len(request_ids)} requests wait for a Kanoon; seed more")
        for request_id in request_ids:
            started = time.monotonic()
            while True:
                try:
                    # MoveRefused: the move committed before the connection broke, it is approved already
                    with contextlib.suppress(workflow.MoveRefused):
                        workflow.request_kanoon_approve(request_id=request_id, by=clerk)
                    sms = OutboxMessage.objects.filter(request_id=request_id, template="kanoon_approved")
                    self.committed[sms.values_list("pk", flat=True).get()] = time.time()
                    break
                except DatabaseError:
                    self.retries += 1
                    connection.close()
                    time.sleep(0.5)
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--phase-seconds", type=float, default=60)
    parser.add_argument("--settle-minutes", type=float, default=10)
    parser.add_argument("--no-dedup", action="store_true", help="the provider delivers a repeated localid again")
    args = parser.parse_args()
    phase = args.phase_seconds

    stack = Stack("faults", sms_timeout=SMS_TIMEOUT, slow_seconds=SLOW_SECONDS, port_offset=1)
    try:
        stack.start(seed_args=("--pensioners", str(args.messages * 4), "--requests", str(args.messages * 4)))
        _clerk_ensure(stack)
        if args.no_dedup:
            stack.provider_dedup(False)
        django_setup()
        logging.disable(logging.CRITICAL)  # the expected errors of every fault would bury the report
        stack.cluster_start("sms-1")
        stack.cluster_start("sms-2")
        time.sleep(5)

        began = time.time()
        pusher = Pusher(total=args.messages, seconds=phase * 6)
        pusher.start()
        last_fault = _faults(stack, phase, began)
        pusher.join()
        last_delivery = _settle(stack, pusher, deadline=last_fault + args.settle_minutes * 60)
        return _report(stack, pusher, last_fault=last_fault, last_delivery=last_delivery, dedup=not args.no_dedup)
    finally:
        stack.stop()


CLERK = "faults_clerk"


def _clerk_ensure(stack: Stack) -> None:
    """A superuser who may approve in every Kanoon: the moves the faults are injected into."""
    stack.manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.contrib.auth.models import User; User.objects.filter(username={CLERK!r}).exists() or "
        f"User.objects.create_superuser({CLERK!r}, password=None)",
    )


def _say(began: float, what: str) -> None:
    print(f"[{time.time() - began:6.1f} s] {what}", flush=True)


def _faults(stack: Stack, phase: float, began: float) -> float:
    """The faults one after another; returns when the last one ended (time.time())."""
    _say(began, "all well")
    time.sleep(phase)
    _say(began, "provider: HTTP 500")
    stack.provider_mode("down")
    time.sleep(phase)
    _say(began, "provider: refuses (418)")
    stack.provider_mode("refuse")
    time.sleep(phase)
    _say(began, f"provider: answers after {SLOW_SECONDS:.0f} s, the client gives up after {SMS_TIMEOUT} s")
    stack.provider_mode("slow")
    time.sleep(phase / 2)
    _say(began, "qcluster sms-1: SIGKILL (restarted 5 s later)")
    stack.cluster_kill("sms-1")
    time.sleep(5)
    stack.cluster_start("sms-1")
    time.sleep(phase / 2)
    stack.provider_mode("up")
    _say(began, "provider: up; Redis: restarted (down 5 s, its queue lost)")
    stack.redis_restart(down_seconds=5)
    time.sleep(phase / 2)
    _say(began, "PostgreSQL: restarted (down 5 s)")
    stack.pg_restart(down_seconds=5)
    last_fault = time.time()
    _say(began, "last fault over; waiting for every message")
    return last_fault


def _delivered(stack: Stack) -> tuple[Counter, Counter, float]:
    """Deliveries and accepted calls per localid, and the time of the last delivery."""
    calls = stack.provider_calls()
    deliveries = Counter(c["localid"] for c in calls if c["delivered"])
    accepted = Counter(c["localid"] for c in calls)
    last = max((c["at"] for c in calls if c["delivered"]), default=0.0)
    return deliveries, accepted, last


def _settle(stack: Stack, pusher: Pusher, *, deadline: float) -> float:
    """Waits until every message reached a phone and its row says so (a row whose call timed out after the
    provider took it is still queued: its re-send must be absorbed too), or until the deadline."""
    from django.db import DatabaseError

    from enrollment.sms.models import OutboxMessage, OutboxStatus

    unsettled = [OutboxStatus.QUEUED, OutboxStatus.SENDING]
    while True:
        deliveries, _, last = _delivered(stack)
        try:
            waiting = OutboxMessage.objects.filter(pk__in=pusher.committed, status__in=unsettled).exists()
        except DatabaseError:
            waiting = True
        if (not waiting and all(str(pk) in deliveries for pk in pusher.committed)) or time.time() > deadline:
            return last
        time.sleep(5)


def _report(stack: Stack, pusher: Pusher, *, last_fault: float, last_delivery: float, dedup: bool) -> int:
    from enrollment.sms.models import OutboxMessage

    deliveries, calls, _ = _delivered(stack)
    statuses = dict(OutboxMessage.objects.filter(pk__in=pusher.committed).values_list("pk", "status"))
    ids = [str(pk) for pk in pusher.committed]
    once = sum(1 for i in ids if deliveries[i] == 1)
    twice = sum(1 for i in ids if deliveries[i] > 1)
    pending = sum(1 for pk in pusher.committed if statuses[pk] in ("queued", "sending"))
    lost = sum(1 for pk in pusher.committed if not deliveries[str(pk)] and statuses[pk] not in ("queued", "sending"))
    repeats = sum(n - 1 for i, n in calls.items() if i in ids and n > 1)
    print()
    print(f"provider de-duplicates on localid: {'yes' if dedup else 'no'}")
    print(f"messages committed:                {len(ids)} ({pusher.retries} transactions retried)")
    print(f"delivered once:                    {once}")
    print(f"delivered more than once:          {twice}")
    print(f"lost:                              {lost}")
    print(f"still pending in the outbox:       {pending}")
    print(f"calls to the provider, every try:  {sum(calls[i] for i in ids)} ({repeats} beyond one a message)")
    print(f"outbox:                            {dict(Counter(statuses.values()))}")
    print(f"last fault → last delivery:        {max(0.0, last_delivery - last_fault):.0f} s")
    print(f"last fault → outbox settled:       {time.time() - last_fault:.0f} s")
    return 0 if lost == 0 and twice == 0 and pending == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
