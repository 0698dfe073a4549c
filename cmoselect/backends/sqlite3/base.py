"""Django's SQLite backend, with writers that get the write lock as soon as it is free.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps between
tries for longer and longer (1, 2, 5, 10 ... up to 100 ms). A save that waits behind an import
thus wakes up rarely, and keeps missing the short moments between two of the import's chunks
when the lock is free: it can wait for several chunks in a row (measured: over a second).
Here a transaction's BEGIN asks for the lock every millisecond instead, up to the same busy
timeout, so a waiting writer gets in at the first chunk boundary. Statements outside a
transaction keep SQLite's own busy handler.
"""

import sqlite3
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# How long a waiting BEGIN sleeps between two tries. An import leaves the lock free for a few
# milliseconds between chunks (while it reads the next rows), far more than this.
RETRY_SECONDS = 0.001


def _is_busy(error: OperationalError) -> bool:
    code = getattr(error.__cause__, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE"):
            super()._start_transaction_under_autocommit()  # takes no lock: never busy
            return
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        deadline = time.monotonic() + timeout
        self.connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    super()._start_transaction_under_autocommit()
                    return
                except OperationalError as error:
                    if not _is_busy(error) or time.monotonic() >= deadline:
                        raise
                time.sleep(RETRY_SECONDS)
        finally:
            self.connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
