#!/usr/bin/env python3
"""A Qdrant REST server for BlockLab's tests and benchmarks, on Qdrant's own engine.

No Qdrant server binary installs here, so this serves the REST endpoints BlockLab and
qdrant-client use, executes them on `qdrant-edge-py` (Qdrant's engine as a library), and
holds every request to the contract of Qdrant's OpenAPI spec (`openapi.json` beside this
file, Qdrant 1.19; the routes and validators are in `qdrant_contract.py`):

  - each request body is validated against its operation's schema; objects accept only the
    properties the spec lists (real Qdrant rejects unknown fields too);
  - point ids are unsigned 64-bit integers or UUIDs, vectors have the collection's size;
  - answers use Qdrant's envelope `{"result", "status", "time"}`, errors
    `{"status": {"error": "..."}, "time"}`, and Qdrant's status codes;
  - with `--api-key K`, requests without the `api-key` header get 401 and wrong keys 403.

Test controls (not Qdrant's) live under `/__test__/`: `POST /__test__/faults` queues faults
(`{"method", "path", "status", "count", "skip", "retry_after", "error"}`: after `skip` matching
requests pass, the next `count` get `status`), `GET /__test__/log` lists every request
served (method, path, status, points in the body), `POST /__test__/reset` clears both.

Usage: qdrant_test_server.py [--port 0] [--api-key KEY] [--data DIR]
Prints `listening on http://127.0.0.1:PORT` as its first line once it accepts connections.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import qdrant_edge as qe
from qdrant_contract import Contract, QdrantError, body_error, id_json, point_id
from qdrant_filter import engine_filter

HERE = os.path.dirname(os.path.abspath(__file__))
DISTANCES = {"Cosine": qe.Distance.Cosine, "Dot": qe.Distance.Dot, "Euclid": qe.Distance.Euclid,
             "Manhattan": qe.Distance.Manhattan}
INDEX_TYPES = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer,
               "float": qe.PayloadSchemaType.Float, "bool": qe.PayloadSchemaType.Bool,
               "datetime": qe.PayloadSchemaType.Datetime, "text": qe.PayloadSchemaType.Text,
               "uuid": qe.PayloadSchemaType.Uuid, "geo": qe.PayloadSchemaType.Geo}


class InjectedFault(QdrantError):
    """A fault queued through /__test__/faults, with its extra headers (Retry-After)."""

    def __init__(self, status, message, headers):
        super().__init__(status, message)
        self.headers = headers


class Collection:
    def __init__(self, root, name, size, distance):
        self.name, self.size, self.distance = name, size, distance
        self.path = os.path.join(root, uuid.uuid4().hex)
        config = qe.EdgeConfig(vectors=qe.EdgeVectorParams(size=size, distance=DISTANCES[distance]))
        self.shard = qe.EdgeShard.create(self.path, config)
        self.indexes = {}

    def check_vector(self, vector):
        if isinstance(vector, dict):
            raise QdrantError(400, "Wrong input: Not existing vector name error: this collection has one unnamed vector")
        if not isinstance(vector, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector):
            raise QdrantError(400, "Wrong input: the vector must be a list of numbers")
        if len(vector) != self.size:
            raise QdrantError(400, f"Wrong input: Vector dimension error: expected dim: {self.size}, got {len(vector)}")
        return [float(x) for x in vector]

    def info(self):
        shard = self.shard.info()
        return {
            "status": "green", "optimizer_status": "ok", "segments_count": shard.segments_count,
            "points_count": shard.points_count, "indexed_vectors_count": shard.indexed_vectors_count,
            "config": {
                "params": {"vectors": {"size": self.size, "distance": self.distance},
                           "shard_number": 1, "replication_factor": 1, "write_consistency_factor": 1,
                           "on_disk_payload": True},
                "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000,
                                "max_indexing_threads": 0, "on_disk": False},
                "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000,
                                     "default_segment_number": 0, "max_segment_size": None,
                                     "memmap_threshold": None, "indexing_threshold": 10000,
                                     "flush_interval_sec": 5, "max_optimization_threads": None},
                "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0},
                "quantization_config": None,
            },
            "payload_schema": {name: {"data_type": kind, "points": 0} for name, kind in self.indexes.items()},
        }

    def record(self, r, with_payload, with_vector):
        out = {"id": id_json(r.id)}
        if with_payload:
            out["payload"] = r.payload or {}
        if with_vector:
            out["vector"] = r.vector
        return out


class State:
    def __init__(self, root, api_key):
        self.root, self.api_key = root, api_key
        self.collections = {}
        self.lock = threading.Lock()
        self.faults = []
        self.log = []
        self.operation = 0

    def take_fault(self, method, path):
        for fault in self.faults:
            if fault.get("method", method) == method and path.startswith(fault.get("path", "")) and fault["count"] > 0:
                if fault.get("skip", 0) > 0:
                    fault["skip"] -= 1
                    return None
                fault["count"] -= 1
                return fault
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Qdrant serves it
    server_version = "qdrant-test-server"
    # The headers and the body of an answer go out in two writes; with Nagle's algorithm the
    # body waits for the client's delayed ACK of the headers, 40 ms per request on Linux.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self): self.handle_request("GET")
    def do_POST(self): self.handle_request("POST")
    def do_PUT(self): self.handle_request("PUT")
    def do_DELETE(self): self.handle_request("DELETE")
    def do_PATCH(self): self.handle_request("PATCH")

    def send(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_request(self, method):
        started = time.perf_counter()
        state = self.server.state
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith("/__test__/"):
            return self.control(method, url.path, raw)
        if method == "GET" and url.path == "/":  # Qdrant's version banner, outside the envelope
            return self.send(200, {"title": "qdrant - vector search engine", "version": "1.19.0", "commit": None})
        entry = {"method": method, "path": url.path, "query": url.query, "status": None, "points": None}
        state.log.append(entry)
        try:
            if state.api_key is not None:
                given = self.headers.get("api-key")
                bearer = self.headers.get("authorization", "")
                if given is None and bearer.lower().startswith("bearer "):
                    given = bearer[7:]
                if given is None:
                    raise QdrantError(401, "Must provide an API key or an Authorization bearer token")
                if given != state.api_key:
                    raise QdrantError(403, "Invalid API key or JWT")
            fault = state.take_fault(method, url.path)
            if fault:
                headers = [("retry-after", str(fault["retry_after"]))] if "retry_after" in fault else []
                raise InjectedFault(fault["status"], fault.get("error", "Service internal error: injected fault"), headers)
            operation, args, validator, params = state.contract.match(method, url.path)
            query = parse_qs(url.query)
            for name, values in query.items():
                kind = params.get(name, "unknown")
                if kind == "unknown":
                    raise QdrantError(400, f"Query deserialize error: unknown field `{name}`")
                if kind == "boolean" and values[-1] not in ("true", "false"):
                    raise QdrantError(400, f"Query deserialize error: {name}: provided string was not `true` or `false`")
                if kind == "integer" and not values[-1].isdigit():
                    raise QdrantError(400, f"Query deserialize error: {name}: invalid digit found in string")
            body = None
            if validator is not None:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError as e:
                    raise QdrantError(400, f"Json deserialize error: {e}")
                if body is None:
                    raise QdrantError(400, "Json deserialize error: EOF while parsing a value")
                error = body_error(validator, body)
                if error is not None:
                    raise QdrantError(400, error)
                if isinstance(body, dict) and isinstance(body.get("points"), list):
                    entry["points"] = len(body["points"])
            with state.lock:
                result = getattr(self, operation)(state, *args, body=body, query=query)
            entry["status"] = 200
            self.send(200, {"result": result, "status": "ok", "time": time.perf_counter() - started})
        except InjectedFault as e:
            entry["status"] = e.status
            self.send(e.status, {"status": {"error": e.message}, "time": time.perf_counter() - started}, headers=e.headers)
        except QdrantError as e:
            entry["status"] = e.status
            if e.status in (401, 403):  # Qdrant's auth layer answers in plain text
                self.send(e.status, e.message.encode(), content_type="text/plain")
            else:
                self.send(e.status, {"status": {"error": e.message}, "time": time.perf_counter() - started})
        except Exception as e:  # the engine's own errors are the caller's input, as in Qdrant
            entry["status"] = 400
            self.send(400, {"status": {"error": f"Wrong input: {e}"}, "time": time.perf_counter() - started})

    def control(self, method, path, raw):
        state = self.server.state
        if method == "POST" and path == "/__test__/faults":
            fault = json.loads(raw)
            fault.setdefault("count", 1)
            state.faults.append(fault)
            return self.send(200, {"ok": True})
        if method == "GET" and path == "/__test__/log":
            return self.send(200, state.log)
        if method == "POST" and path == "/__test__/reset":
            state.faults.clear()
            state.log.clear()
            return self.send(200, {"ok": True})
        self.send(404, {"status": {"error": "unknown test control"}})

    # Qdrant's operations, by their operationId in the spec.

    def collection(self, state, name):
        if name not in state.collections:
            raise QdrantError(404, f"Not found: Collection `{name}` doesn't exist!")
        return state.collections[name]

    def completed(self, state):
        state.operation += 1
        return {"operation_id": state.operation, "status": "completed"}

    def get_collections(self, state, body, query):
        return {"collections": [{"name": n} for n in sorted(state.collections)]}

    def get_collection(self, state, name, body, query):
        return self.collection(state, name).info()

    def collection_exists(self, state, name, body, query):
        return {"exists": name in state.collections}

    def create_collection(self, state, name, body, query):
        if name in state.collections:
            raise QdrantError(409, f"Wrong input: Collection `{name}` already exists!")
        vectors = body.get("vectors")
        if not isinstance(vectors, dict) or "size" not in vectors:
            raise QdrantError(400, "Wrong input: this test server supports one unnamed dense vector per collection")
        if vectors["size"] < 1:
            raise QdrantError(422, "Validation error in JSON body: [vectors.size: value 0 invalid, must be 1 or larger]")
        state.collections[name] = Collection(state.root, name, vectors["size"], vectors["distance"])
        return True

    def delete_collection(self, state, name, body, query):
        c = state.collections.pop(name, None)
        if c is None:
            return False
        c.shard.close()
        shutil.rmtree(c.path, ignore_errors=True)
        return True

    def create_field_index(self, state, name, body, query):
        c = self.collection(state, name)
        schema = body["field_schema"]
        kind = schema if isinstance(schema, str) else schema.get("type")
        if kind not in INDEX_TYPES:
            raise QdrantError(400, f"Wrong input: unsupported field schema {schema!r}")
        c.shard.update(qe.UpdateOperation.create_field_index(body["field_name"], INDEX_TYPES[kind]))
        c.indexes[body["field_name"]] = kind
        return self.completed(state)

    def upsert_points(self, state, name, body, query):
        c = self.collection(state, name)
        if "points" in body:
            items = [(p["id"], p["vector"], p.get("payload")) for p in body["points"]]
        else:
            batch = body["batch"]
            payloads = batch.get("payloads") or [None] * len(batch["ids"])
            if not isinstance(batch["vectors"], list) or len(batch["vectors"]) != len(batch["ids"]) or len(payloads) != len(batch["ids"]):
                raise QdrantError(400, "Wrong input: ids, vectors and payloads must have the same length")
            items = list(zip(batch["ids"], batch["vectors"], payloads))
        points = [qe.Point(point_id(i), c.check_vector(v), p) for i, v, p in items]
        c.shard.update(qe.UpdateOperation.upsert_points(points))
        return self.completed(state)

    def get_points(self, state, name, body, query):
        c = self.collection(state, name)
        ids = [point_id(i) for i in body["ids"]]
        records = c.shard.retrieve(ids, with_payload=bool(body.get("with_payload", True)),
                                   with_vector=bool(body.get("with_vector", False)))
        return [c.record(r, body.get("with_payload", True), body.get("with_vector", False)) for r in records]

    def scroll_points(self, state, name, body, query):
        c = self.collection(state, name)
        body = body or {}
        offset = point_id(body["offset"]) if body.get("offset") is not None else None
        records, next_offset = c.shard.scroll(qe.ScrollRequest(offset=offset, limit=body.get("limit", 10),
                                                               with_payload=bool(body.get("with_payload", True)),
                                                               with_vector=bool(body.get("with_vector", False))))
        return {"points": [c.record(r, body.get("with_payload", True), body.get("with_vector", False)) for r in records],
                "next_page_offset": None if next_offset is None else id_json(next_offset)}

    def count_points(self, state, name, body, query):
        return {"count": self.collection(state, name).shard.info().points_count}

    def query_points(self, state, name, body, query):
        c = self.collection(state, name)
        q = body.get("query")
        if isinstance(q, dict) and "nearest" in q:
            q = q["nearest"]
        vector = c.check_vector(q)
        limit = body.get("limit", 10)
        with_payload = bool(body.get("with_payload", False))
        with_vector = bool(body.get("with_vector", False))
        hits = c.shard.query(qe.QueryRequest(limit=limit, offset=body.get("offset"), query=qe.Query.Nearest(vector),
                                             with_payload=with_payload, with_vector=with_vector, filter=engine_filter(body.get("filter")),
                                             score_threshold=body.get("score_threshold")))
        points = []
        for h in hits:
            p = {"id": id_json(h.id), "version": h.version, "score": h.score}
            if with_payload:
                p["payload"] = h.payload or {}
            if with_vector:
                p["vector"] = h.vector
            points.append(p)
        return {"points": points}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port chosen by the system")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--data", default=None, help="where shards live (default: a temporary directory, removed at exit)")
    parser.add_argument("--spec", default=os.path.join(HERE, "openapi.json"))
    args = parser.parse_args()
    root = args.data or tempfile.mkdtemp(prefix="qdrant-test-server-")
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.state = State(root, args.api_key)
    server.state.contract = Contract(args.spec)
    # A parent may start us with SIGTERM blocked (the mask is inherited): unblock it, and
    # exit through `finally` so the temporary shards are removed.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for c in server.state.collections.values():
            c.shard.close()
        if args.data is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
