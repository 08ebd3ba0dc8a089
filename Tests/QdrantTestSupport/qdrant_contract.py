"""The REST contract of BlockLab's Qdrant test server: Qdrant's OpenAPI spec (`openapi.json`,
Qdrant 1.19) turned into routes and request-body validators, and Qdrant's point-id rule.

Objects accept only the properties the spec lists (real Qdrant rejects unknown fields too).
Used by `qdrant_test_server.py`, beside this file.
"""

import json
import re
import uuid
from urllib.parse import unquote

from jsonschema.exceptions import best_match
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator._keywords import items as oas30_items


class QdrantError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message



def strict(schema):
    """The schema with `additionalProperties: false` on every object that lists properties."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def items(validator, items, instance, schema):
    """OAS 3.0's `items`, deciding arrays of plain numbers (vectors) in one pass.

    An item schema that only says `type: number` (with format float or double, which every
    number passes) accepts exactly the JSON numbers, so an array whose items are all ints
    or floats has no error to report. Anything else, or any other item schema, goes through
    the keyword's own per-item descent, so errors read exactly as before. Per-item descent
    cost about 0.6 s for one batch of 256 vectors of 384 floats: the whole time of an upsert.
    """
    if (isinstance(items, dict) and items.get("type") == "number" and items.get("format", "float") in ("float", "double")
            and set(items) <= {"type", "format", "description", "example"} and isinstance(instance, list)
            and all(type(x) is float or type(x) is int for x in instance)):
        return
    yield from oas30_items(validator, items, instance, schema)


RequestValidator = extend(OAS30Validator, validators={"items": items})


class Contract:
    """Routes and request-body validators from the OpenAPI spec."""

    def __init__(self, path):
        with open(path) as f:
            spec = json.load(f)
        components = strict(spec["components"])
        self.routes = []
        for template, operations in spec["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "([^/]+)", template) + "$"
            for method, operation in operations.items():
                schema = (operation.get("requestBody", {}).get("content", {})
                          .get("application/json", {}).get("schema"))
                validator = None
                if schema is not None:
                    validator = RequestValidator({**strict(schema), "components": components},
                                                 format_checker=OAS30Validator.FORMAT_CHECKER)
                params = {p["name"]: p.get("schema", {}).get("type") for p in operation.get("parameters", [])
                          if p.get("in") == "query"}
                self.routes.append((re.compile(pattern), method.upper(), operation["operationId"], validator, params))

    def match(self, method, path):
        known_path = False
        for pattern, route_method, operation, validator, params in self.routes:
            m = pattern.match(path)
            if m:
                known_path = True
                if route_method == method:
                    return operation, [unquote(g) for g in m.groups()], validator, params
        raise QdrantError(405 if known_path else 404, f"Unknown route: {method} {path}")


def point_id(value):
    """A Qdrant point id (u64 or UUID) as the engine takes it; anything else is a 400."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise QdrantError(400, f"Format error in JSON body: value {value!r} is not a valid point ID")
    if isinstance(value, int):
        if not 0 <= value < 2**64:
            raise QdrantError(400, f"Format error in JSON body: value {value} is not a valid point ID")
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        raise QdrantError(400, f"Format error in JSON body: value {value} is not a valid point ID, "
                               "valid values are either an unsigned integer or a UUID")


def id_json(value):
    return value if isinstance(value, int) else str(value)


def body_error(validator, body):
    """Where and how `body` breaks its operation's schema (Qdrant's wording), or None."""
    error = best_match(validator.iter_errors(body))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "(root)"
    return f"Format error in JSON body: {where}: {error.message[:300]}"
