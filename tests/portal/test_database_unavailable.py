"""A database that stops answering: the Persian 503 page with Retry-After, logged, and nothing written."""

import logging
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from enrollment import drafts, workflow
from enrollment.models import EnrollmentRequest, RequestStatus
from enrollment.sms.models import OutboxMessage
from policies.selectors import terms_current
from tests.enrollment.conftest import family_enroll_operations
from tests.portal.test_error_pages import _assert_persian_error_page


def _assert_unavailable_page(response) -> None:
    _assert_persian_error_page(response, 503)
    assert response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    assert "درخواست شما انجام نشد" in response.content.decode()


@pytest.mark.urls("tests.portal.error_urls")
@pytest.mark.parametrize("failure", ["database", "interface"])
def test_a_view_whose_database_fails_gets_the_503_page_and_the_error_is_logged(db, caplog, failure):
    with caplog.at_level(logging.ERROR, logger="core.db_unavailable"):
        response = Client().get(f"/fails/{failure}/")
    _assert_unavailable_page(response)
    assert any(record.exc_info for record in caplog.records if record.name == "core.db_unavailable")


@pytest.mark.urls("tests.portal.error_urls")
def test_the_503_page_itself_reads_no_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/fails/database/")
    assert response.status_code == 503


def test_a_database_error_outside_any_view_gets_the_503_page_too(db):
    """The session is read by a middleware, before any view: handler500 serves the 503 page for it."""
    from django.db import OperationalError

    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    down = OperationalError("down")  # the database read behind both session engines (db, cached_db)
    with mock.patch("django.contrib.sessions.backends.db.SessionStore._get_session_from_db", side_effect=down):
        response = client.get(reverse("portal:home"))
    _assert_unavailable_page(response)


# --- On PostgreSQL: the connection dies in the middle of the wizard's «ثبت نهایی» -------------------------


def _fresh_query(sql: str, params: list) -> list[tuple]:
    """On a connection of its own: what the database holds, not what the test's connection remembers."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        other.close()


def _kill_this_connection() -> None:
    """Ends the server process of the request's connection from another one, as a failover or restart would."""
    _fresh_query("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_submission_whose_connection_dies_gets_the_503_page_and_writes_nothing(on_postgres, client_a, pensioner_a):
    draft = drafts.draft_open(pensioner=pensioner_a)
    drafts.draft_terms_accept(draft=draft, terms=terms_current(period=draft.period))
    assert drafts.draft_choices_set(draft=draft, operations=family_enroll_operations(pensioner_a)) == []
    sms_before = OutboxMessage.objects.count()
    real_sms_queue = workflow.sms_queue

    def sms_queue_after_the_connection_died(**kwargs):
        _kill_this_connection()  # the request's status UPDATE has run; its transaction is now lost
        return real_sms_queue(**kwargs)

    with mock.patch.object(workflow, "sms_queue", sms_queue_after_the_connection_died):
        response = client_a.post(reverse("portal:step_review"), {"draft": draft.pk})

    _assert_unavailable_page(response)
    requests_table = EnrollmentRequest._meta.db_table
    history_table = EnrollmentRequest.history.model._meta.db_table
    outbox_table = OutboxMessage._meta.db_table
    status = _fresh_query(f"SELECT status, submitted_at FROM {requests_table} WHERE id = %s", [draft.pk])
    assert status == [(RequestStatus.DRAFT, None)]
    submitted_history = f"SELECT count(*) FROM {history_table} WHERE id = %s AND status = %s"
    assert _fresh_query(submitted_history, [draft.pk, RequestStatus.KANOON_REVIEW]) == [(0,)]
    assert _fresh_query(f"SELECT count(*) FROM {outbox_table}", []) == [(sms_before,)]

    # The database is back: the same click now files the request.
    response = client_a.post(reverse("portal:step_review"), {"draft": draft.pk})
    assert response.status_code == 302
    assert EnrollmentRequest.objects.get(pk=draft.pk).status == RequestStatus.KANOON_REVIEW
