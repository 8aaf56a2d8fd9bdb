""".env.example names every environment variable that production reads, each under a comment of its own, and
nothing else; with its two secrets filled in, production starts on it and `check --deploy` is clean."""

import ast
import re
from pathlib import Path

from tests.config.test_settings import PRODUCTION_ENV, _manage

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
READERS = {"env_str", "env_bool", "env_int", "env_list"}  # config/settings/env.py
LINE = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>[^\s'\"$`\\]*)")  # safe for `set -a; . ./.env`


def _is_os_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)


def _name_read_by(node: ast.AST) -> ast.expr | None:
    """The expression naming the variable when `node` reads the environment: env_str("X"), os.environ.get("X"),
    os.environ.setdefault("X", ...), os.getenv("X"), os.environ["X"]; None for any other node."""
    if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
        return node.slice
    if not isinstance(node, ast.Call) or not node.args:
        return None
    function = node.func
    if isinstance(function, ast.Name) and function.id in READERS:
        return node.args[0]
    if isinstance(function, ast.Attribute) and (
        (function.attr in {"get", "setdefault", "pop"} and _is_os_environ(function.value))
        or (function.attr == "getenv" and isinstance(function.value, ast.Name) and function.value.id == "os")
    ):
        return node.args[0]
    return None


def variables_read() -> dict[str, str]:
    """Every variable that config/ reads, with the file that reads it. env.py's helpers read the name they are
    given; every other read must name its variable in a string literal, or this test could not see it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "config").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), filename=where)):
            name = _name_read_by(node)
            if name is None or where == "config/settings/env.py":
                continue
            assert isinstance(name, ast.Constant) and isinstance(name.value, str), f"{where}:{node.lineno}"
            found.setdefault(name.value, where)
    return found


def example_variables() -> dict[str, str]:
    """The variables of .env.example and their values; fails on a line that is neither a comment nor KEY=value,
    or a variable without a comment right above it."""
    lines = EXAMPLE.read_text().splitlines()
    variables: dict[str, str] = {}
    for number, line in enumerate(lines):
        if not line or line.startswith("# "):
            continue
        match = LINE.fullmatch(line)
        assert match, f".env.example line {number + 1} is not KEY=value (no spaces, quotes or $): {line!r}"
        assert match["name"] not in variables, f"{match['name']} twice"
        assert lines[number - 1].startswith("# "), f"{match['name']} has no comment right above it"
        variables[match["name"]] = match["value"]
    return variables


def test_the_scan_sees_the_settings_and_the_wsgi_module():
    read = variables_read()
    assert read["CLIENT_IP_HEADER"] == "config/settings/base.py"  # and production.py
    assert read["SMS_OUTBOX_ONLY_ALLOWED"] == "config/settings/production.py"
    assert read["SMS_BACKEND"] == "config/settings/base.py"
    assert read["DJANGO_SETTINGS_MODULE"] in {"config/wsgi.py", "config/asgi.py"}


def test_every_variable_production_reads_is_in_the_example_under_a_comment():
    missing = {name: where for name, where in variables_read().items() if name not in example_variables()}
    assert missing == {}, "add these to .env.example, each with a one-line comment and an example value"


def test_the_example_names_no_variable_that_nothing_reads():
    assert set(example_variables()) - set(variables_read()) == set()


def test_the_example_starts_production_once_its_secrets_are_filled_in():
    example = example_variables()
    secrets = {"DJANGO_SECRET_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"], "SMS_API_KEY": "k" * 20}
    assert {name for name, value in example.items() if name in secrets and not value} == set(secrets)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={**example, **secrets})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_as_it_stands_refuses_to_start_for_want_of_a_secret_key():
    result = _manage("check", env=example_variables())
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
