"""What every benchmark script starts with: Django on the project's base settings with DEBUG off, as
production answers (DEBUG would also keep every query in memory). Not a benchmark: bench/run.py skips
files whose name starts with an underscore."""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    django.setup()
