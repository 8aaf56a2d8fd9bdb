"""core/db_router.py on its own: which alias reads and writes go to, with and without a replica."""

import pytest
from django.conf import settings

from core import db_router
from core.db_router import ReadingRouter, in_reading_block, reading_alias, reading_replica


class _Model:
    pass


def test_the_test_settings_mirror_the_replica_on_the_default_database():
    assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
    assert "core.db_router.ReadingRouter" in settings.DATABASE_ROUTERS


def test_reads_go_to_the_replica_only_inside_the_block_and_writes_never():
    router = ReadingRouter()
    assert router.db_for_read(_Model) is None and not in_reading_block()
    with reading_replica() as alias:
        assert alias == "replica" and in_reading_block()
        assert router.db_for_read(_Model) == "replica"
        assert router.db_for_write(_Model) == "default"
        with reading_replica():
            pass
        assert in_reading_block()  # a nested block leaves the outer one's flag as it was
    assert router.db_for_read(_Model) is None and not in_reading_block()


def test_the_flag_is_lowered_when_the_block_raises():
    with pytest.raises(RuntimeError), reading_replica():
        raise RuntimeError
    assert not in_reading_block()


def test_without_a_replica_everything_reads_the_default_database(monkeypatch):
    monkeypatch.setattr(db_router, "REPLICA", "not-configured")
    assert reading_alias() == "default"
    with reading_replica() as alias:
        assert alias == "default" and ReadingRouter().db_for_read(_Model) == "default"


def test_the_replica_is_never_migrated():
    router = ReadingRouter()
    assert router.allow_migrate("replica", "enrollment") is False
    assert router.allow_migrate("default", "enrollment") is None
