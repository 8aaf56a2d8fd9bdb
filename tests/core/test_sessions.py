"""The session store (core/sessions.py): a new session is one INSERT, a sign-in's new key a DELETE and then
the response's one INSERT, no write opens a transaction of its own, and a key that is taken is never
shared: the INSERT refuses it and another key is drawn."""

from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _statements(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"].split()[0] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_new_session_is_one_insert():
    session = SessionStore()
    session["portal.login_national_code"] = "0010000011"
    with CaptureQueriesContext(connection) as context:
        session.save()
    assert _statements(context) == ["INSERT"]
    assert SessionStore(session.session_key).load() == {"portal.login_national_code": "0010000011"}


def test_a_new_key_at_sign_in_is_a_delete_then_one_insert_and_the_old_key_is_gone():
    session = SessionStore()
    session["portal.login_national_code"] = "0010000011"
    session.save()
    old_key = session.session_key
    with CaptureQueriesContext(connection) as context:
        session.cycle_key()
        session["portal.pensioner_id"] = 7  # what the sign-in adds
        session.save()  # the response's
    assert _statements(context) == ["DELETE", "INSERT"]
    assert session.session_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert SessionStore(old_key).load() == {}  # neither the cache nor the database has it
    expected = {"portal.login_national_code": "0010000011", "portal.pensioner_id": 7}
    assert SessionStore(session.session_key).load() == expected
    session._cache.delete(session.cache_key)
    assert SessionStore(session.session_key).load() == expected  # the database has it too


def test_a_new_key_that_is_taken_by_the_time_it_is_stored_is_drawn_again():
    someone = SessionStore()
    someone["portal.pensioner_id"] = 1
    someone.save()
    signing_in = SessionStore()
    signing_in["portal.login_national_code"] = "0010000021"
    signing_in.save()
    drawn = iter([someone.session_key, "m" * 32])
    with mock.patch("core.sessions.get_random_string", side_effect=lambda *args: next(drawn)):
        signing_in.cycle_key()
        signing_in.save()
    assert signing_in.session_key == "m" * 32
    assert SessionStore(someone.session_key).load() == {"portal.pensioner_id": 1}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_write_is_its_one_statement():
    session = SessionStore()
    with CaptureQueriesContext(connection) as context:
        session["portal.login_national_code"] = "0010000011"
        session.save()
        session["portal.pensioner_id"] = 7
        session.save()
        session.cycle_key()
        session.save()
    assert [q["sql"].split()[0] for q in context.captured_queries] == ["INSERT", "UPDATE", "DELETE", "INSERT"]


def test_a_key_that_is_taken_is_not_shared():
    someone = SessionStore()
    someone["portal.pensioner_id"] = 1
    someone.save()
    drawn = iter([someone.session_key, "n" * 32])
    with mock.patch("core.sessions.get_random_string", side_effect=lambda *args: next(drawn)):
        newcomer = SessionStore()
        newcomer["portal.login_national_code"] = "0010000021"
        newcomer.save()
    assert newcomer.session_key == "n" * 32
    assert SessionStore(someone.session_key).load() == {"portal.pensioner_id": 1}
    assert SessionStore("n" * 32).load() == {"portal.login_national_code": "0010000021"}


def test_a_session_missing_from_the_cache_is_read_in_one_query_and_put_back_with_its_expiry():
    session = SessionStore()
    session["portal.pensioner_id"] = 7
    session.set_expiry(900)
    session.save()
    session._cache.delete(session.cache_key)  # evicted, or written while the cache was away
    reader = SessionStore(session.session_key)
    with CaptureQueriesContext(connection) as context:
        assert reader["portal.pensioner_id"] == 7
    assert _statements(context) == ["SELECT"]
    assert session._cache.get(session.cache_key) == reader.load()
    assert 890 <= reader.get_expiry_age() <= 900
