"""The headline figures of a benchmark, for the table bench/run.py prints at the end of `make bench`.

A script calls `headline(...)` for each figure the issue sets a target for; run.py names a file in
BENCH_SUMMARY, where each call appends one JSON line. Run on its own (no BENCH_SUMMARY), a script's
headlines go nowhere: it prints its own table anyway. Not a benchmark: run.py skips files whose name
starts with an underscore.
"""

import json
import os


def headline(figure: str, value: str, target: str, met: bool | None) -> None:
    """`met` None: a figure shown for comparison, with no target of its own."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(json.dumps({"figure": figure, "value": value, "target": target, "met": met}) + "\n")
