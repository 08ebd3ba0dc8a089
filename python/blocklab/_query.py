"""blocklab.query: read-only SQL over a store, with Python's sqlite3."""

import os
import sqlite3

from ._errors import BlockLabError


def store_path(store=None):
    """`store`, else $BLOCKLAB_STORE, else ./blocklab.db, as an absolute path."""
    return os.path.abspath(os.fspath(store) if store else os.environ.get("BLOCKLAB_STORE") or "blocklab.db")


def query(sql, parameters=(), store=None):
    """Rows of a read-only query as a list of dicts of plain Python values (int, float, str,
    bytes, None). The store is opened read-only: a statement that writes raises."""
    path = store_path(store)
    if not os.path.exists(path):
        raise BlockLabError(f"blocklab: no store at {path} (pass store=, or set BLOCKLAB_STORE)")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    try:
        cursor = connection.execute(sql, parameters)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    except sqlite3.Error as error:
        raise BlockLabError(f"blocklab: query failed: {error}: {sql}") from None
    finally:
        connection.close()
