"""The pensioner's whole cycle in one process, for bench/wizard_load.py to count its machine instructions.

    valgrind --tool=callgrind --instr-atstart=no python bench/_wizard_cycles.py STACK_ENV WARM

Runs on the stack wizard_load.py started (production settings, its PostgreSQL and Redis), with Django's
test client instead of HTTP: the same views, middleware, queries and cache calls, none of gunicorn's or
the network's cost. Reads applicants from stdin, one line each as wizard_load.py lists them; takes the
first WARM through the cycle (the process's caches filled, as in a worker that has served before), then
prints «ready» and waits for a line on stdin: meanwhile the parent switches callgrind's instrumentation
on. Then the others, then «done», and it waits again while the parent takes the counts. The sign-in code
is fixed in this process only (the SMS is queued as always), so no code has to be read from a log.
Instructions executed are the same from run to run whatever else the machine does, which a shared
machine's rates and CPU seconds are not.
"""

import json
import os
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = "123456"


def main() -> int:
    stack_env, warm = sys.argv[1], int(sys.argv[2])
    for line in Path(stack_env).read_text().splitlines():
        name, _, value = line.partition("=")
        if name:
            os.environ[name] = value
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    import portal.otp

    portal.otp.secrets = types.SimpleNamespace(randbelow=lambda bound: int(CODE))
    applicants = [line.split(" ", 2) for line in sys.stdin.readline().split("|") if line.strip()]
    client_for = _clients(Client)
    for applicant in applicants[:warm]:
        _cycle(client_for(applicant[0]), applicant[0], applicant[2])
    print("ready", flush=True)
    sys.stdin.readline()
    for applicant in applicants[warm:]:
        _cycle(client_for(applicant[0]), applicant[0], applicant[2])
    print("done", flush=True)
    sys.stdin.readline()
    return 0


def _clients(client_class):
    handler = {}

    def client_for(national_code: str):
        client = client_class(
            HTTP_HOST="127.0.0.1",
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_X_FORWARDED_FOR=f"10.8.{int(national_code[-4:]) % 250}.{int(national_code[-2:]) % 250}",
        )
        if "handler" in handler:  # one handler, as one worker has: middleware built once
            client.handler = handler["handler"]
        handler["handler"] = client.handler
        return client

    return client_for


def _cycle(client, national_code: str, choices: str) -> None:
    from tests.portal.wizard_cycle import answer_of, wizard_cycle

    wizard_cycle(
        lambda path: answer_of(client.get(path, secure=True)),
        lambda path, data: answer_of(client.post(path, data, secure=True)),
        national_code=national_code,
        code=lambda: CODE,
        choices=lambda page: json.loads(choices),
    )


if __name__ == "__main__":
    sys.exit(main())
