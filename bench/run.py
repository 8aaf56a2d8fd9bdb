"""`make bench`: runs every benchmark script in bench/, one process each, and prints what it reports.

The scripts seed and measure the database named by DATABASE_URL (PostgreSQL is what they are meant
for), so it must be set, and never to the demo's db.sqlite3. BENCH_PENSIONERS sets how many
synthetic pensioners they work on (default 1,000,000), BENCH_REQUESTS how many synthetic requests
the cartable's benchmark works on (default 2,000,000, measured first at a tenth of it; it adds the
pensioners these need). admin_home.py times the manager's home cold and warm over what is there.
exports_memory.py exports BENCH_EXPORT_ROWS rows (default 1,000,000) as CSV and XLSX beside PostgreSQL's
COPY of the same query.
bulk_moves.py moves 1,000 requests one by one and 1,000 as a set (approve, reject, accept) and prints
seconds and queries side by side, then 10,000 as the cartable's background job (approve, accept: time to
finish); it moves requests the synthetic data set has waiting (each run the next ones). signin_timing.py
compares the sign-in page's answer for a registered and an unknown national code (medians of 200 tries
each); it needs only one pensioner. sms_during_export.py starts a stack of its own
(bench/_stack.py: PostgreSQL, Redis, the qclusters, the fake provider) and measures sign-in codes during
large exports, with the long jobs on their own cluster and on the SMS cluster. wizard_load.py starts a
stack of its own too and drives the pensioner's whole cycle with concurrent clients beside a plain form.

Each script prints its own compact table; at the end this prints one summary of every headline figure
against the issue's target (bench/_summary.py), so that a single run says where the product stands.
Timings on a shared 2-core machine are noisy: run it twice before quoting a figure.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    if not os.environ.get("DATABASE_URL"):
        print(
            "make bench: set DATABASE_URL to a database the benchmarks may fill, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench make bench\n"
            "(BENCH_PENSIONERS=100000 BENCH_REQUESTS=100000 for a smaller data set.)",
            file=sys.stderr,
        )
        return 2
    with tempfile.NamedTemporaryFile(prefix="bench-summary-", suffix=".jsonl") as summary:
        os.environ["BENCH_SUMMARY"] = summary.name  # each script appends its headline figures here
        failed = [script.name for script in _scripts() if not _run(script)]
        _summary(Path(summary.name))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


# The cartable's benchmark first: it measures its smaller size before anything seeds more requests.
FIRST = "cartable.py"


def _scripts() -> list[Path]:
    skipped = {Path(__file__).name, "faults.py"}  # faults.py is `make faults`, a check rather than a measure
    scripts = sorted(p for p in BENCH.glob("*.py") if p.name not in skipped and not p.name.startswith("_"))
    if only := os.environ.get("BENCH_ONLY"):  # e.g. BENCH_ONLY=cartable,exports_memory
        names = {f"{name.strip()}.py" for name in only.split(",")}
        scripts = [p for p in scripts if p.name in names]
    return sorted(scripts, key=lambda p: p.name != FIRST)


def _run(script: Path) -> bool:
    print(f"\n=== {script.name}", flush=True)
    started = time.monotonic()
    returncode = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, check=False).returncode
    print(f"=== {script.name}: exit {returncode} after {time.monotonic() - started:.0f} s", flush=True)
    return returncode == 0


def _summary(path: Path) -> None:
    """One table of every headline figure against its target."""
    figures = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"\n=== summary: {len(figures)} headline figures")
    print(f"{'figure':<52} {'value':>22} {'target':>16}  ")
    for f in figures:
        verdict = {True: "met", False: "MISSED", None: ""}[f["met"]]
        print(f"{f['figure']:<52} {f['value']:>22} {f['target']:>16}  {verdict}")
    missed = sum(f["met"] is False for f in figures)
    print(f"{sum(f['met'] is True for f in figures)} met, {missed} missed")


if __name__ == "__main__":
    sys.exit(main())
