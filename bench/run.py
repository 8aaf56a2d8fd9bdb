"""`make bench`: runs every benchmark script in bench/, one process each, and prints what it reports.

The scripts seed and measure the database named by DATABASE_URL (PostgreSQL is what they are meant
for), so it must be set, and never to the demo's db.sqlite3. BENCH_PENSIONERS sets how many
synthetic pensioners they work on (default 1,000,000), BENCH_REQUESTS how many synthetic requests
the cartable's benchmark works on (default 1,000,000; it adds the pensioners these need).
bulk_moves.py moves 1,000 requests one by one and 1,000 as a set (approve, reject, accept) and prints
seconds and queries side by side, then 10,000 as the cartable's background job (approve, accept: time to
finish); it moves requests the synthetic data set has waiting (each run the next ones). signin_timing.py
compares the sign-in page's answer for a registered and an unknown national code (medians of 200 tries
each); it needs only one pensioner. sms_during_export.py starts a stack of its own
(bench/_stack.py: PostgreSQL, Redis, the qclusters, the fake provider) and measures sign-in codes during
large exports, with the long jobs on their own cluster and on the SMS cluster. wizard_load.py starts a
stack of its own too and drives the pensioner's whole cycle with concurrent clients beside a plain form.
"""

import os
import subprocess
import sys
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
    failed = [script.name for script in _scripts() if not _run(script)]
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _scripts() -> list[Path]:
    skipped = {Path(__file__).name, "faults.py"}  # faults.py is `make faults`, a check rather than a measure
    return sorted(p for p in BENCH.glob("*.py") if p.name not in skipped and not p.name.startswith("_"))


def _run(script: Path) -> bool:
    print(f"\n=== {script.name}", flush=True)
    started = time.monotonic()
    returncode = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, check=False).returncode
    print(f"=== {script.name}: exit {returncode} after {time.monotonic() - started:.0f} s", flush=True)
    return returncode == 0


if __name__ == "__main__":
    sys.exit(main())
