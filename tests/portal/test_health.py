"""/healthz (the process answers) and /readyz (database, cache, broker and SMS outbox within limits)."""

import datetime as dt

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone

from enrollment.sms.models import OutboxMessage, OutboxStatus

NOBODY_LISTENS = "redis://127.0.0.1:1/0"
CACHE_NOBODY_LISTENS_TO = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": NOBODY_LISTENS}
}


def _outbox(status: str, *, minutes_ago: int = 0, count: int = 1) -> None:
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(mobile="09120000000", template="request_submitted", text="-", status=status) for _ in range(count)
    )
    OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def _ready() -> tuple[int, dict]:
    response = Client().get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


def test_healthz_answers_without_the_database_or_the_cache():
    """No db mark: any query would fail the test."""
    with override_settings(CACHES=CACHE_NOBODY_LISTENS_TO):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_200_with_every_check_when_all_is_well():
    _outbox(OutboxStatus.QUEUED, minutes_ago=1)
    _outbox(OutboxStatus.SENT, minutes_ago=60 * 24)  # sent and failed messages wait for nothing
    _outbox(OutboxStatus.FAILED, minutes_ago=60 * 24)
    status, body = _ready()
    assert status == 200
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker", "sms_outbox"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["sms_outbox"]["queued"] == 1
    assert 60 <= body["checks"]["sms_outbox"]["oldest_age_seconds"] < 120


@pytest.mark.django_db
@override_settings(READYZ_OUTBOX_MAX_QUEUED=3)
def test_readyz_is_503_when_too_many_messages_wait():
    _outbox(OutboxStatus.QUEUED, count=3)
    assert _ready()[0] == 200
    _outbox(OutboxStatus.QUEUED)
    status, body = _ready()
    assert status == 503
    assert body["status"] == "fail" and body["failing"] == ["sms_outbox"]
    assert body["checks"]["sms_outbox"] == {"ok": False, "queued": 4, "oldest_age_seconds": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [OutboxStatus.QUEUED, OutboxStatus.SENDING])
def test_readyz_is_503_when_a_message_has_waited_too_long(status):
    _outbox(status, minutes_ago=4)
    assert _ready()[0] == 200  # within READYZ_OUTBOX_MAX_AGE_SECONDS (300)
    _outbox(status, minutes_ago=6)
    code, body = _ready()
    assert code == 503 and body["failing"] == ["sms_outbox"]
    assert body["checks"]["sms_outbox"]["oldest_age_seconds"] >= 360


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_does_not_answer():
    with override_settings(CACHES=CACHE_NOBODY_LISTENS_TO):
        status, body = _ready()
    assert status == 503
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"] == {"ok": False}  # what failed is logged, not shown to the prober


@pytest.mark.django_db
def test_readyz_is_503_when_the_redis_broker_does_not_answer(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": NOBODY_LISTENS}
    status, body = _ready()
    assert status == 503 and body["failing"] == ["broker"]


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_fails(monkeypatch):
    """On any database (the PostgreSQL test below refuses the connection for real)."""
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    status, body = _ready()
    assert status == 503
    assert body["failing"] == ["database", "broker", "sms_outbox"]
    assert body["checks"]["cache"]["ok"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_postgresql_refuses_connections(on_postgres):
    """A real failure: the connection is reopened to a port where no server listens."""
    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = 1
    try:
        status, body = _ready()
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert status == 503
    assert body["failing"] == ["database", "broker", "sms_outbox"]
    assert body["checks"]["cache"]["ok"]
