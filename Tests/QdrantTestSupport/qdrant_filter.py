"""Qdrant's payload filters, as the JSON of a request holds them, turned into qdrant-edge's
objects, for BlockLab's Qdrant test server (`qdrant_test_server.py`, beside this file)."""

import qdrant_edge as qe

from qdrant_contract import QdrantError


def engine_filter(spec):
    """Qdrant's `filter` (already checked against the schema) as qdrant-edge's `Filter`:
    `must`, `should` and `must_not` with field conditions that `match` a value or any of
    several, or lie in a `range` (numbers, or RFC 3339 datetimes). Other conditions (geo,
    nested, has_id, ...) are a 400 naming them: this server does not implement them."""
    if spec is None:
        return None

    def condition(c):
        unsupported = sorted(set(c) - {"key", "match", "range"})
        if "key" not in c or unsupported:
            raise QdrantError(400, f"Wrong input: the test server implements field conditions with match or range only, not {unsupported or c}")
        parts = {}
        match = c.get("match")
        if match is not None:
            if "value" in match:
                parts["match"] = qe.MatchValue(match["value"])
            elif "any" in match:
                parts["match"] = qe.MatchAny(match["any"])
            else:
                raise QdrantError(400, f"Wrong input: the test server does not implement match {sorted(match)}")
        bounds = {k: v for k, v in (c.get("range") or {}).items() if v is not None}
        if bounds:
            kind = qe.RangeDateTime if any(isinstance(v, str) for v in bounds.values()) else qe.RangeFloat
            parts["range"] = kind(**bounds)
        return qe.FieldCondition(c["key"], **parts)

    lists = {}
    for part in ("must", "should", "must_not"):
        given = spec.get(part)
        if given:
            lists[part] = [condition(c) for c in (given if isinstance(given, list) else [given])]
    return qe.Filter(**lists) if lists else None
