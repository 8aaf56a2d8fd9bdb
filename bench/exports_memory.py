"""Time and peak memory of the export job writing a million rows, as CSV and as XLSX, against PostgreSQL's
COPY of the same query.

    DATABASE_URL=postgres://user@host:port/db python bench/exports_memory.py [--rows N] [--formats csv,xlsx]

Runs the job's own function (enrollment.reports.exports.export_job_run) in a fresh child process per
export, as a manager who sees every row, writing to a temporary MEDIA_ROOT; the parent reads the child's
peak resident set size from the kernel (os.wait4). Two exports per format: the pensioner registry and the
enrollment list (one row per person of a request), each cut to the first N rows (default 1,000,000, or
BENCH_EXPORT_ROWS) by an id filter on the admin list, the way a user's filter reaches a job. A table
with fewer rows is exported whole, and the report says so.

Beside each export, PostgreSQL's own `COPY (the export's query) TO STDOUT (FORMAT csv)`, read through to a
scratch file by this process: the floor for reading the same rows, with no rendering at all.

Uses the synthetic data already in the database (`seed_demo --pensioners N --requests M`): it only
migrates and creates the user bench_manager. The targets: a peak under TARGET_MB; a CSV of a million rows
in at most CSV_TARGET_SECONDS (issue 12; scaled down in proportion when fewer rows are measured).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _django import ROOT, django_setup
from _summary import headline

TARGET_MB = 250
CSV_TARGET_SECONDS = 30  # for 1,000,000 rows
USERNAME = "bench_manager"


def main() -> int:
    args = _arguments()
    if args.child:
        return _child(*args.child)
    if not os.environ.get("DATABASE_URL"):
        print(
            "bench/exports_memory.py: set DATABASE_URL to a database with synthetic data, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench\n"
            "(seed it first: manage.py seed_demo --pensioners 1000000 --requests 1000000).",
            file=sys.stderr,
        )
        return 2
    django_setup()
    cases = _cases(args.rows, args.formats.split(","))
    results = []
    copies = {}
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as media:
        for kind, file_format, query, note in cases:
            if kind not in copies:
                copies[kind] = _copy(kind, query)
            results.append((kind, file_format, note, _run_child(kind, file_format, query, media)))
    return _report(results, copies)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_EXPORT_ROWS", 1_000_000)))
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FORMAT", "QUERY"), help=argparse.SUPPRESS)
    return parser.parse_args()


def _cases(rows: int, formats: list[str]) -> list[tuple[str, str, str, str]]:
    """(kind, format, the admin list's query string, a note) per export to measure."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from enrollment import roles
    from enrollment.models import Pensioner, RequestItem
    from enrollment.reports.models import ExportKind

    call_command("migrate", verbosity=0, interactive=False)
    user, _ = User.objects.update_or_create(username=USERNAME, defaults={"is_staff": True, "is_active": True})
    user.groups.set([roles.roles_ensure()[roles.MANAGER]])

    exports = []
    last_pensioner = Pensioner.objects.order_by("pk").values_list("pk", flat=True)[rows - 1 : rows].first()
    exports.append(
        (ExportKind.PENSIONERS, f"id__lte={last_pensioner}" if last_pensioner else "", _note(last_pensioner, rows))
    )
    # The request whose items reach the Nth row: every item of the requests up to it.
    last_request = RequestItem.objects.order_by("request_id").values_list("request_id", flat=True)[rows - 1 : rows]
    last_request = last_request.first()
    exports.append(
        (ExportKind.REQUEST_ITEMS, f"id__lte={last_request}" if last_request else "", _note(last_request, rows))
    )
    return [(kind, file_format, query, note) for kind, query, note in exports for file_format in formats]


def _copy(kind: str, query: str) -> dict:
    """PostgreSQL's COPY of the export's own query (the scope and the list's filters included) to a
    scratch file: rows and seconds."""
    from django.contrib.auth.models import User
    from django.db import connection

    from enrollment.reports.exports import export_rows

    if connection.vendor != "postgresql":
        return {"rows": 0, "seconds": 0.0}
    rows = export_rows(user=User.objects.get(username=USERNAME), kind=kind, query=query)
    sql = connection.ops.compose_sql(*rows.query.sql_with_params())
    count = 0
    started = time.monotonic()
    copy_sql = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with tempfile.TemporaryFile() as scratch, connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for block in copy:
            scratch.write(block)
            count += bytes(block).count(b"\n")
    return {"rows": count, "seconds": time.monotonic() - started}


def _note(cut: int | None, rows: int) -> str:
    return "" if cut else f"fewer than {rows:,} rows in the table: all of them"


def _run_child(kind: str, file_format: str, query: str, media: str) -> dict:
    env = {**os.environ, "MEDIA_ROOT": media, "DJANGO_DEBUG": "false"}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, file_format, query]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    result = json.loads(output.strip().splitlines()[-1]) if process.returncode == 0 else {"status": "crashed"}
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def _child(kind: str, file_format: str, query: str) -> int:
    """One export in this process: prints its outcome as one line of JSON."""
    import resource

    django_setup()
    from django.contrib.auth.models import User

    from enrollment.reports.exports import export_job_run
    from enrollment.reports.models import ExportJob

    user = User.objects.get(username=USERNAME)
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    job = ExportJob.objects.create(user=user, kind=kind, file_format=file_format, query=query)
    started = time.monotonic()
    status = export_job_run(job_id=job.pk)
    seconds = time.monotonic() - started
    job.refresh_from_db()
    size_mb = job.file.size / 2**20 if job.file else 0
    outcome = {
        "status": status,
        "rows": job.rows_written,
        "seconds": seconds,
        "size_mb": size_mb,
        "baseline_mb": baseline_mb,
        "error": job.error,
    }
    if job.file:
        job.file.delete(save=False)
    job.delete()
    print(json.dumps(outcome))
    return 0


def _report(results: list[tuple[str, str, str, dict]], copies: dict[str, dict]) -> int:
    print(f"\n{'export':<14} {'format':<6} {'status':<8} {'rows':>10} {'seconds':>8} {'rows/s':>8} "
          f"{'× COPY':>7} {'file MB':>8} {'start MB':>8} {'peak MB':>8}")  # fmt: skip
    for kind, copy in copies.items():
        print(f"{kind:<14} {'COPY':<6} {'done':<8} {copy['rows']:>10,} {copy['seconds']:>8.1f} "
              f"{copy['rows'] / max(copy['seconds'], 1e-9):>8,.0f} {1:>7.1f}")  # fmt: skip
    missed = False
    for kind, file_format, note, r in results:
        rows, seconds = r.get("rows", 0), r.get("seconds", 0)
        rate = rows / seconds if seconds else 0
        times_copy = seconds / copies[kind]["seconds"] if copies[kind]["seconds"] else 0
        print(
            f"{kind:<14} {file_format:<6} {r['status']!s:<8} {rows:>10,} {seconds:>8.1f} {rate:>8,.0f} "
            f"{times_copy:>7.1f} {r.get('size_mb', 0):>8.1f} {r.get('baseline_mb', 0):>8.1f} {r['peak_mb']:>8.1f}"
            + (f"  ({note})" if note else "")
            + (f"  error: {r['error']}" if r.get("error") else "")
        )
        done = r["status"] == "done"
        label = f"export {rows:,} rows {kind} {file_format.upper()}"
        if file_format == "csv":
            target = CSV_TARGET_SECONDS * max(rows, 1) / 1_000_000
            headline(label, f"{seconds:.1f} s", f"≤ {target:.1f} s", done and seconds <= target)
        else:
            headline(label, f"{seconds:.1f} s", "(fastest)", None if done else False)
        headline(
            f"{label} peak memory", f"{r['peak_mb']:.0f} MB", f"< {TARGET_MB} MB", done and r["peak_mb"] < TARGET_MB
        )
        missed = missed or not done or r["peak_mb"] >= TARGET_MB
    for kind, copy in copies.items():
        headline(f"COPY of the same {copy['rows']:,} rows {kind}", f"{copy['seconds']:.1f} s", "(floor)", None)
    print(f"\ntarget: peak under {TARGET_MB} MB per export: {'missed' if missed else 'met'}; "
          f"CSV of 1,000,000 rows ≤ {CSV_TARGET_SECONDS} s")  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
