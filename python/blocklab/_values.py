"""Turning what people pass to log() and init() into BlockLab's JSON lines.

Metric lines are built by hand rather than with json.dumps: they are flat (nested dicts
flatten to `outer/inner`, as ingest flattens them), every value is a number, and this is the
hot path of log(). NaN is written as null (ingest stores NaN), infinities as +-1e999 (which
read back as infinities); a value that is not a number raises, naming its key.
"""

import json
import math
import numbers

_key_json = {}


def key_json(key):
    """The JSON text of a metric key (cached: a run logs the same few keys again and again)."""
    text = _key_json.get(key)
    if text is None:
        if not isinstance(key, str):
            raise TypeError(f"blocklab: metric key {key!r} is a {type(key).__name__}, not a string")
        text = json.dumps(key)
        _key_json[key] = text
    return text


def number_json(key, value):
    """A metric value as JSON text; raises TypeError naming `key` when it is not a number."""
    kind = type(value)
    if kind is float:
        if value == value and value not in (math.inf, -math.inf):
            return repr(value)
    elif kind is int:
        return str(value)
    else:
        value = _as_float(key, value)
    if value != value:
        return "null"
    if value == math.inf:
        return "1e999"
    if value == -math.inf:
        return "-1e999"
    return repr(value)


def _as_float(key, value):
    """Numbers of other types: bool, numpy scalars, 0-d tensors (anything with .item()), Decimal."""
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    if item is not None:
        try:
            inner = item()
        except Exception:
            inner = None
        if isinstance(inner, numbers.Real):
            return float(inner)
    raise TypeError(
        f"blocklab: metric {key!r} is {_describe(value)}, not a number; "
        "log numbers (int, float, a numpy scalar or a one-element tensor) and nested dicts of them")


def _describe(value):
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"a {type(value).__name__} ({text})"


def flatten(data, prefix=""):
    """Yields (key, value) with nested dicts' keys joined by '/'."""
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"blocklab: metric key {key!r} is a {type(key).__name__}, not a string")
        name = prefix + key
        if isinstance(value, dict):
            yield from flatten(value, name + "/")
        else:
            yield name, value


def metrics_line(data, step, epoch):
    """One metrics record as a JSON line (bytes, with its newline)."""
    parts = ['{"step":', str(step)]
    if epoch is not None:
        parts.append(',"epoch":')
        parts.append(number_json("epoch", epoch))
    for key, value in data.items():
        if type(value) is dict:
            for inner, inner_value in flatten(value, key + "/"):
                parts.append("," + key_json(inner) + ":" + number_json(inner, inner_value))
        else:
            parts.append("," + key_json(key) + ":" + number_json(key, value))
    parts.append("}\n")
    return "".join(parts).encode()


def record_line(record):
    """Any other record (checkpoint, tag, console, end, ...) as a JSON line."""
    return (json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode()


def config_json(config):
    """A config dict as JSON text; raises TypeError naming the first key whose value JSON
    cannot hold (a function, an object, NaN)."""
    _check_config(config, "")
    return json.dumps(config, indent=2, sort_keys=True, allow_nan=False)


def _check_config(value, path):
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise TypeError(f"blocklab: config key {path}{key!r} is a {type(key).__name__}; keys must be strings")
            _check_config(inner, f"{path}{key}.")
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            _check_config(inner, f"{path}{index}.")
    elif isinstance(value, float):
        if value != value or value in (math.inf, -math.inf):
            raise TypeError(f"blocklab: config key '{path[:-1]}' is {value}, which JSON cannot hold; use null or a string")
    elif value is None or isinstance(value, (str, int, bool)):
        pass
    else:
        raise TypeError(
            f"blocklab: config key '{path[:-1]}' holds {_describe(value)}, which is not JSON-serialisable; "
            "pass numbers, strings, booleans, None, lists and dicts (str() it if it should be kept as text)")
