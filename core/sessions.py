"""Sessions read from the cache and written through to the database (Django's cached_db), that keep
working while the cache is away: every cache call that fails is logged and the database answers
alone. Django's own store already does so when reading and saving; not when checking a new key,
deleting (a sign-in cycles the key) or filling the cache after a database read.

Two round trips of Django's are left out, each on every new session and every sign-in: asking the cache
and then the database whether a freshly drawn key is taken (the INSERT that creates the session is the
check: the key is its primary key, a taken one fails and another is drawn), and reading the row of a
session before deleting it.
"""

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils.crypto import get_random_string

log = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # the cache is away (or refuses the key): the database has the session
            log.warning("session cache unavailable on read", exc_info=True)
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        try:
            # The row's own expiry: get_expiry_age() without it would read the session being loaded.
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        except Exception:
            log.warning("session cache unavailable on fill", exc_info=True)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            log.warning("session cache unavailable on exists", exc_info=True)
        return DatabaseStore.exists(self, session_key)

    def _get_new_session_key(self):
        """A random key, not looked up: a session is stored under a new key by create() alone, whose INSERT
        (must_create) refuses a key that is taken, and create() then draws another."""
        return get_random_string(32, VALID_KEY_CHARS)

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is None:
            return
        self.model.objects.filter(session_key=session_key).delete()
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            log.warning("session cache unavailable on delete", exc_info=True)
