"""Sessions read from the cache and written through to the database (Django's cached_db), that keep
working while the cache is away: every cache call that fails is logged and the database answers
alone. Django's own store already does so when reading and saving; not when checking a new key,
deleting (a sign-in cycles the key) or filling the cache after a database read.

Round trips of Django's left out, on every new session, every sign-in and every change:
- asking the cache and then the database whether a freshly drawn key is taken (the INSERT that creates
  the session is the check: the key is its primary key, a taken one fails and another is drawn);
- reading the row of a session before deleting it;
- a transaction around each write's single statement (BEGIN and COMMIT), outside a transaction of the
  caller's: one statement is atomic on its own. Inside one, a savepoint still keeps a refused INSERT
  from breaking it;
- at a sign-in's new key, storing the session under it at once and again at the end of the request with
  what the sign-in added: the new key is drawn at once and stored once, by the response's save.
"""

import logging
from contextlib import nullcontext

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import DatabaseError, IntegrityError, connections, router, transaction
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

    def cycle_key(self):
        """A new key for the same data (a sign-in or sign-out), drawn now and stored by the next save."""
        data, old_key = self._session, self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._key_stored = False
        self.modified = True
        if old_key:
            self.delete(old_key)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        if getattr(self, "_key_stored", True):
            self._write(must_create)
        else:
            while True:  # as create(): a key that is taken is refused by the INSERT, and another drawn
                try:
                    self._write(must_create=True)
                    break
                except CreateError:
                    self._session_key = self._get_new_session_key()
            self._key_stored = True
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:
            log.warning("session cache unavailable on save", exc_info=True)

    def _write(self, must_create: bool) -> None:
        """Django's database save, its one statement in a transaction of its own only inside the caller's."""
        data = self._get_session(no_load=must_create)
        row = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=row)
        try:
            with transaction.atomic(using=using) if connections[using].in_atomic_block else nullcontext():
                row.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is None:
            return
        using = router.db_for_write(self.model)
        quote = connections[using].ops.quote_name
        table, key = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        with connections[using].cursor() as cursor:  # one statement: no transaction of its own, no row read
            cursor.execute(f"DELETE FROM {table} WHERE {key} = %s", [session_key])
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            log.warning("session cache unavailable on delete", exc_info=True)
