"""The pensioner's whole cycle under load, against a plain Django form on the same stack.

Brings up the production stack on this machine (deploy/prod-local.sh: production settings, PostgreSQL,
Redis, gunicorn with 2 sync workers, qcluster) on a database of its own with BENCH_WIZARD_PENSIONERS
synthetic pensioners (default 3,000), SMS printed into qcluster's log (the console backend, as a staging
machine may) so that the clients can read their codes. Then, for BENCH_WIZARD_SECONDS (default 30) with
BENCH_WIZARD_CLIENTS threads (default 8), each thread takes pensioners one after the other through the
14 requests of a submission: sign-in page, national code, code page, code, wizard, steps 1-4 each GET
and POST, the confirmation. The baseline: the same threads on a plain form with sessions, CSRF and two
inserts (bench/baseline), served by the same gunicorn on the same PostgreSQL.

Prints submissions a second, requests a second, p50/p95 of a request, the ratio to the baseline, and the CPU
time gunicorn's workers spent per request (from /proc): on a machine shared with other work the rates follow
the load of the moment, the CPU a request costs much less so. Then the whole machine's CPU during the
wizard's run per submission, by process (gunicorn, PostgreSQL, the SMS qcluster, Redis, the clients, and
«other», which shows whether anything else was running): what a faster cycle has to cut, and where.
Last, with valgrind installed, the machine instructions of one submission (bench/_wizard_cycles.py: the
cycle in one process with Django's test client, under callgrind, BENCH_WIZARD_INSTRUCTION_CYCLES of them,
default 8): a figure that stays the same from run to run on a shared machine, where the rates above do
not. BENCH_WIZARD_DEBUG=1 prints why each failed cycle failed.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _summary import headline  # noqa: E402

from tests.portal.wizard_cycle import Answer, wizard_cycle  # noqa: E402
from tests.smoke.client import Client, stack_env  # noqa: E402

STATE = Path(os.environ.get("BENCH_WIZARD_DIR", "/tmp/sso-bench-wizard"))
# Each overridable as BENCH_WIZARD_<NAME> (e.g. BENCH_WIZARD_PG_PORT), when another server holds the port.
PORTS = {
    name: os.environ.get(f"BENCH_WIZARD_{name}", default)
    for name, default in {"WEB_PORT": "8120", "PG_PORT": "55460", "REDIS_PORT": "56460", "SMS_PORT": "8770"}.items()
}
BASELINE_PORT = int(os.environ.get("BENCH_WIZARD_BASELINE_PORT", "8121"))
PENSIONERS = int(os.environ.get("BENCH_WIZARD_PENSIONERS", "3000"))
SECONDS = float(os.environ.get("BENCH_WIZARD_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_WIZARD_CLIENTS", "8"))
# Submissions counted under callgrind (bench/_wizard_cycles.py), after WARM_CYCLES that fill the caches.
INSTRUCTION_CYCLES = int(os.environ.get("BENCH_WIZARD_INSTRUCTION_CYCLES", "8"))
WARM_CYCLES = 3
SMS_LINE = re.compile(r"\[SMS \d+\] (09\d{9}): .*?(\d{6})")


def _stack_up() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORTS, PROD_LOCAL_DIR=str(STATE), PROD_LOCAL_FRESH="1")
    env["STACK_SMS_BACKEND"] = "enrollment.sms.backends.ConsoleBackend"
    subprocess.run(["deploy/prod-local.sh", "start"], cwd=ROOT, env=env, check=True)
    stack = stack_env(STATE / "stack.env")
    manage = {**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **stack}
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--quiet-logins", "--pensioners", str(PENSIONERS)],
        cwd=ROOT,
        env=manage,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    listing = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", _APPLICANTS],
        cwd=ROOT,
        env=manage,
        check=True,
        capture_output=True,
        text=True,
    )
    stack["applicants"] = listing.stdout
    return stack


_APPLICANTS = """
import json
from enrollment import drafts
from enrollment.models import Pensioner
from policies.selectors import period_active
period = period_active()
rows = Pensioner.objects.filter(is_colleague=False, file_active=True, pension_number__startswith="9").order_by("pk")
for pensioner in rows.prefetch_related("dependents"):
    people = drafts.people_listed(pensioner)
    change = {p.key: ("withdraw" if p.insured else "enroll") for p in people}
    spouse = [p.key for p in people if p.relation == "spouse"]
    for keys in (list(change), ["self", *spouse], ["self"]):
        operations = {key: change[key] for key in keys}
        if not drafts.choices_problems(period=period, pensioner=pensioner, operations=operations):
            print(pensioner.national_code, pensioner.mobile, json.dumps({f"op-{k}": v for k, v in operations.items()}))
            break
"""


def _stack_down() -> None:
    env = {**os.environ, **PORTS, "PROD_LOCAL_DIR": str(STATE)}
    subprocess.run(["deploy/prod-local.sh", "stop"], cwd=ROOT, env=env, check=False)


class Codes:
    """The sign-in codes as qcluster printed them, read from its log as they come."""

    def __init__(self, log: Path):
        self.log = log
        self.codes: dict[str, str] = {}
        self._offset = 0
        self._lock = threading.Lock()

    def wait(self, mobile: str, after: str | None, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                self._read()
                code = self.codes.get(mobile)
            if code and code != after:
                return code
            time.sleep(0.05)
        raise TimeoutError(f"no code for {mobile}")

    def _read(self) -> None:
        with self.log.open() as handle:
            handle.seek(self._offset)
            text = handle.read()
            self._offset = handle.tell()
        for mobile, code in SMS_LINE.findall(text):
            self.codes[mobile] = code


# Where the machine's CPU goes during the wizard's run, by the processes' command lines.
CPU_GROUPS = [
    ("gunicorn", "gunicorn"),
    ("PostgreSQL", "postgres"),
    ("qcluster (SMS)", "qcluster"),
    ("Redis", "redis-server"),
    ("the clients (this script)", "wizard_load.py"),
]


class Process(NamedTuple):
    parent: int
    group: str  # CPU_GROUPS' name for it, «other» for the rest
    seconds: float  # CPU used so far, user and system


def _processes() -> dict[str, Process]:
    """Every process on the machine, read once from /proc: what each CPU reading of this script uses."""
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, ...
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # a process that ended meanwhile
            continue
        group = next((name for name, marker in CPU_GROUPS if marker in command), "other")
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        processes[stat.parent.name] = Process(int(fields[1]), group, seconds)
    return processes


def _workers_cpu(master_pid: int) -> float:
    """CPU seconds used so far by the worker processes of the gunicorn master `master_pid`."""
    return sum(process.seconds for process in _processes().values() if process.parent == master_pid)


def _cpu_used_between(before: dict[str, Process], after: dict[str, Process]) -> dict[str, float]:
    """CPU seconds by group between two readings, process by process: one that ended meanwhile is left out
    (its last seconds are lost), one that started is counted whole."""
    seconds = dict.fromkeys([name for name, _ in CPU_GROUPS] + ["other"], 0.0)
    for pid, process in after.items():
        earlier = before.get(pid)
        seconds[process.group] += process.seconds - (earlier.seconds if earlier else 0.0)
    return seconds


class Tally:
    def __init__(self):
        self.latencies: list[float] = []
        self.submissions = 0
        self.errors = 0
        self.worker_cpu = 0.0  # seconds, all workers, over the run
        self.cpu_by_group: dict[str, float] = {}  # seconds over the run, every process of the machine
        self.unused: list[list[str]] = []  # applicants the run did not reach
        self.lock = threading.Lock()

    def timed(self, call):
        started = time.perf_counter()
        page = call()
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
        return page


def _cycle(base: str, national_code: str, mobile: str, choices: dict, codes: Codes, tally: Tally) -> None:
    """One pensioner over HTTP, as a browser goes: each form is posted with the CSRF token of the page just
    read (the smoke client's post() would read the page again first: six more requests a cycle)."""
    client = Client(base, address=f"10.9.{hash(national_code) % 250}.{hash(mobile) % 250}")
    before = codes.codes.get(mobile)
    shown = {}

    def answer(page) -> Answer:
        return Answer(page.status, page.text, page.headers.get("location", ""))

    def get(path: str) -> Answer:
        shown["page"] = tally.timed(lambda: client.get(path, follow=False))
        return answer(shown["page"])

    def post(path: str, data: dict) -> Answer:
        form = {"csrfmiddlewaretoken": shown["page"].csrf(), **data}
        return answer(tally.timed(lambda: client.request("POST", path, form, follow=False)))

    wizard_cycle(
        get,
        post,
        national_code=national_code,
        code=lambda: codes.wait(mobile, before),
        choices=lambda page: choices,
    )
    with tally.lock:
        tally.submissions += 1


def _wizard_run(stack: dict[str, str]) -> Tally:
    applicants = [line.split(" ", 2) for line in stack["applicants"].splitlines() if line.strip()]
    codes = Codes(STATE / "qcluster.log")
    tally = Tally()
    stop_at = time.monotonic() + SECONDS
    cursor = iter(applicants)
    take = threading.Lock()

    def worker():
        while time.monotonic() < stop_at:
            with take:
                person = next(cursor, None)
            if person is None:
                return
            try:
                _cycle(stack["SMOKE_URL"], person[0], person[1], json.loads(person[2]), codes, tally)
            except Exception as error:  # a refused or slow cycle counts as an error, the thread goes on
                if os.environ.get("BENCH_WIZARD_DEBUG"):
                    print(f"cycle of {person[0]} failed: {error!r}", file=sys.stderr)
                with tally.lock:
                    tally.errors += 1

    master = int((STATE / "gunicorn.pid").read_text())
    cpu_before, processes_before = _workers_cpu(master), _processes()
    _threads(worker)
    tally.worker_cpu = _workers_cpu(master) - cpu_before
    tally.cpu_by_group = _cpu_used_between(processes_before, _processes())
    tally.unused = list(cursor)
    return tally


BASELINE_TABLE = "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial primary key, v text)"


def _baseline_run(database_url: str) -> Tally:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "sessions", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    create = f"from django.db import connection; connection.cursor().execute({BASELINE_TABLE!r})"
    subprocess.run([*manage, "shell", "-c", create], cwd=ROOT, env=env, check=True)
    gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "bench.baseline.wsgi", "--workers", "2"]
    server = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{BASELINE_PORT}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        tally = Tally()
        stop_at = time.monotonic() + SECONDS

        def worker():
            client = Client(f"http://127.0.0.1:{BASELINE_PORT}")
            while time.monotonic() < stop_at:
                page = tally.timed(lambda: client.get("/"))
                form = {"csrfmiddlewaretoken": re.search(r'value="([^"]+)"', page.text).group(1), "v": "x"}
                tally.timed(lambda form=form: client.request("POST", "/", form, follow=False))
                with tally.lock:
                    tally.submissions += 1

        cpu_before = _workers_cpu(server.pid)
        _threads(worker)
        tally.worker_cpu = _workers_cpu(server.pid) - cpu_before
        return tally
    finally:
        server.terminate()
        server.wait()


def _threads(worker) -> None:
    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _line(name: str, tally: Tally, seconds: float) -> str:
    lat = sorted(tally.latencies)
    p95 = lat[int(len(lat) * 0.95) - 1] if lat else 0
    return (
        f"{name:<34}{tally.submissions / seconds:>8.1f}/s {len(lat) / seconds:>9.1f} req/s "
        f"{statistics.median(lat) * 1000 if lat else 0:>7.1f} ms {p95 * 1000:>7.1f} ms {tally.errors:>7}"
        f"{tally.worker_cpu * 1000 / max(1, len(lat)):>9.1f} ms"
    )


def main() -> int:
    stack = _stack_up()
    try:
        wizard = _wizard_run(stack)
        baseline = _baseline_run(stack["DATABASE_URL"])
        instructions = _instructions(wizard.unused)
    finally:
        _stack_down()
    print(f"{CLIENTS} clients, {SECONDS:.0f} s each; gunicorn 2 sync workers; PostgreSQL, Redis, qcluster")
    print(f"{'':<34}{'cycles':>10} {'requests':>13} {'p50':>10} {'p95':>10} {'errors':>7} {'CPU/request':>11}")
    print(_line("wizard cycle (14 requests)", wizard, SECONDS))
    print(_line("plain form baseline (2 requests)", baseline, SECONDS))
    ratio = (len(wizard.latencies) / SECONDS) / max(1e-9, len(baseline.latencies) / SECONDS)
    print(f"requests a second, wizard / baseline: {ratio:.2f}×")
    _cpu_table(wizard)
    if instructions is not None:
        print(
            f"machine instructions per submission, in one process under callgrind ({INSTRUCTION_CYCLES} "
            f"submissions, no HTTP): {instructions / 1e6:.0f} M"
        )
        headline("wizard instructions per submission", f"{instructions / 1e6:.0f} M", "(fewer is faster)", None)
    _headlines(wizard, baseline, ratio)
    return 0


def _instructions(unused: list[list[str]]) -> float | None:
    """Machine instructions per submission of the views, middleware, ORM and drivers, counted by callgrind
    in bench/_wizard_cycles.py on this stack: the same from run to run on a shared machine. None without
    valgrind (Debian's package) or applicants left."""
    chosen = unused[: WARM_CYCLES + INSTRUCTION_CYCLES]
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        return None
    if len(chosen) < WARM_CYCLES + INSTRUCTION_CYCLES:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as out:
        valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/counts"]
        cycles = [sys.executable, str(ROOT / "bench/_wizard_cycles.py"), str(STATE / "stack.env"), str(WARM_CYCLES)]
        child = subprocess.Popen(
            [*valgrind, *cycles],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

        def step(command: str | None, expect: str) -> None:
            if command:
                subprocess.run(["callgrind_control", command, str(child.pid)], check=True, capture_output=True)
            if expect:
                line = child.stdout.readline().strip()
                if line != expect:
                    raise RuntimeError(f"_wizard_cycles.py said {line!r}, not {expect!r}")

        child.stdin.write("|".join(" ".join(applicant) for applicant in chosen) + "\n")
        child.stdin.flush()
        step(None, "ready")
        step("--instr=on", "")
        child.stdin.write("go\n")
        child.stdin.flush()
        step(None, "done")
        step("--dump", "")
        step("--instr=off", "")
        child.stdin.write("end\n")
        child.stdin.close()
        child.wait()
        dumps = [path for path in Path(out).iterdir() if path.name != "counts"]
        summary = next(line for line in dumps[0].read_text().splitlines() if line.startswith("summary:"))
    return int(summary.split()[1]) / INSTRUCTION_CYCLES


def _cpu_table(wizard: Tally) -> None:
    """The machine's CPU during the wizard's run, by process, per submission: what a faster cycle must cut."""
    cores = os.cpu_count() or 1
    print(f"CPU during the wizard's run ({cores} cores), per submission:")
    for name, seconds in sorted(wizard.cpu_by_group.items(), key=lambda item: -item[1]):
        share = seconds / SECONDS / cores * 100
        print(f"  {name:<28}{seconds * 1000 / max(1, wizard.submissions):>8.1f} ms {share:>5.0f}% of the machine")


def _headlines(wizard: Tally, baseline: Tally, ratio: float) -> None:
    per_second = wizard.submissions / SECONDS
    latencies = sorted(wizard.latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0
    headline("wizard submissions a second", f"{per_second:.1f}/s", "≥ 20/s", per_second >= 20)
    headline(
        "wizard req/s against the plain form",
        f"{len(latencies) / SECONDS:.0f} / {len(baseline.latencies) / SECONDS:.0f} ({ratio:.2f}×)",
        "≥ 1.00×",
        ratio >= 1,
    )
    headline("wizard request p95", f"{p95:.0f} ms", "< 100 ms", bool(latencies) and p95 < 100)
    headline("wizard cycles that failed", f"{wizard.errors}", "0", wizard.errors == 0)


if __name__ == "__main__":
    sys.exit(main())
