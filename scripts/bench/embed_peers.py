#!/usr/bin/env python3
"""Peers of BlockLab's phase 3, for `blocklab bench embed` and the embedding tests.

Runs in the venv of scripts/setup/embeddings.sh (sentence-transformers 2.7.0 on Debian's
python3-torch, qdrant-client). Four modes:

  encode    sentence-transformers embeds texts the way BlockLab documents it
            (docs/embeddings.md): the model's own tokenizer, windows of max_seq_length - 2
            word pieces starting every 3/4 window, the last ending at the text's end; each
            window through the SentenceTransformer modules (Transformer, Pooling,
            Normalize); the text's vector is the mean of its windows, scaled to unit length.
            Windows are batched by length, as SentenceTransformer.encode batches texts.
            Writes float32 vectors (texts x dimension, little-endian) and the token ids.
  serve     encode for `blocklab bench embed`, one chunk of texts at a time: loads the model
            once, prints {"ready": ...}, then answers each stdin line {"texts", "out"[,
            "truncating"]} with one stdout line {"seconds", "windows"}, so the benchmark can
            take turns with BlockLab chunk by chunk (both sides see the same load). With
            "truncating", the chunk goes through plain SentenceTransformer.encode(), which
            cuts every text at max_seq_length tokens and drops the rest.
  push      qdrant-client's upload_points of those vectors to a collection (REST).
  readback  qdrant-client's retrieve of point ids, printing ids, vectors and payloads.

Every mode prints one JSON object on stdout.
"""

import argparse
import json
import os
import struct
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def window_starts(count, content):
    if count <= content:
        return [0]
    stride = content - content // 4
    starts, start = [], 0
    while start + content < count:
        starts.append(start)
        start += stride
    starts.append(count - content)
    return starts


def load_model(path, threads):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(path, device="cpu")
    model.eval()
    return model


def windowed(model, texts, batch_size):
    """(word-piece ids per text, windows, unit vectors): the documented windows, batched by length."""
    import numpy as np
    import torch

    tokenizer = model.tokenizer
    content = model.max_seq_length - 2
    cls_id, sep_id, pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    ids = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    windows = []
    for index, pieces in enumerate(ids):
        for s in window_starts(len(pieces), content):
            windows.append((index, pieces[s:s + content]))
    windows.sort(key=lambda w: (-len(w[1]), w[0]))
    sums = np.zeros((len(texts), model.get_sentence_embedding_dimension()), dtype=np.float32)
    with torch.inference_mode():
        for b in range(0, len(windows), batch_size):
            batch = windows[b:b + batch_size]
            width = len(batch[0][1]) + 2
            input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (_, pieces) in enumerate(batch):
                row_ids = [cls_id] + pieces + [sep_id]
                input_ids[row, :len(row_ids)] = torch.tensor(row_ids)
                mask[row, :len(row_ids)] = 1
            features = {"input_ids": input_ids, "attention_mask": mask,
                        "token_type_ids": torch.zeros_like(input_ids)}
            vectors = model(features)["sentence_embedding"].numpy()
            for row, (index, _) in enumerate(batch):
                sums[index] += vectors[row]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return ids, len(windows), sums / np.maximum(norms, 1e-12)


def encode(args):
    import torch

    model = load_model(args.model, args.threads)
    texts = json.load(open(args.texts))
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        ids, windows, vectors = windowed(model, texts, args.batch_size)
        times.append(time.perf_counter() - start)
    out = {"seconds": sorted(times)[len(times) // 2], "windows": windows, "texts": len(texts),
           "threads": torch.get_num_threads(), "torch": torch.__version__}
    if args.truncating:
        start = time.perf_counter()
        model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True)
        out["truncating_seconds"] = time.perf_counter() - start
    vectors.astype("<f4").tofile(args.out)
    if args.ids_out:
        json.dump(ids, open(args.ids_out, "w"))
    print(json.dumps(out))


def serve(args):
    import torch

    model = load_model(args.model, args.threads)
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "max_seq_length": model.max_seq_length}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        texts = json.load(open(request["texts"]))
        start = time.perf_counter()
        if request.get("truncating"):
            vectors, windows = model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True), len(texts)
        else:
            _, windows, vectors = windowed(model, texts, args.batch_size)
        seconds = time.perf_counter() - start
        vectors.astype("<f4").tofile(request["out"])
        print(json.dumps({"seconds": seconds, "windows": windows, "texts": len(texts)}), flush=True)


def read_vectors(path, dimension):
    data = open(path, "rb").read()
    count = len(data) // (4 * dimension)
    return [list(struct.unpack_from(f"<{dimension}f", data, i * 4 * dimension)) for i in range(count)]


def push(args):
    from qdrant_client import QdrantClient, models

    vectors = read_vectors(args.vectors, args.dimension)
    ids = json.load(open(args.ids))
    payloads = json.load(open(args.payloads)) if args.payloads else [{}] * len(ids)
    client = QdrantClient(url=args.url, prefer_grpc=False, check_compatibility=False, timeout=120)
    if client.collection_exists(args.collection):
        client.delete_collection(args.collection)
    client.create_collection(args.collection, vectors_config=models.VectorParams(size=args.dimension,
                                                                               distance=models.Distance.COSINE))
    points = [models.PointStruct(id=i, vector=v, payload=p) for i, v, p in zip(ids, vectors, payloads)]
    start = time.perf_counter()
    client.upload_points(args.collection, points, batch_size=args.batch_size, wait=True)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "points": len(points)}))


def readback(args):
    from qdrant_client import QdrantClient

    client = QdrantClient(url=args.url, prefer_grpc=False, check_compatibility=False,
                          api_key=os.environ.get(args.api_key_env) if args.api_key_env else None, https=False)
    ids = json.load(open(args.ids))
    records = client.retrieve(args.collection, ids=ids, with_payload=True, with_vectors=True)
    count = client.count(args.collection, exact=True).count
    print(json.dumps({"count": count, "points": [{"id": str(r.id), "vector": r.vector, "payload": r.payload}
                                                 for r in records]}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--model", required=True)
    e.add_argument("--texts", required=True, help="a JSON list of strings")
    e.add_argument("--out", required=True, help="float32 vectors, texts x dimension")
    e.add_argument("--ids-out", help="the word-piece ids of each text, as JSON")
    e.add_argument("--batch-size", type=int, default=32)
    e.add_argument("--threads", type=int, default=os.cpu_count())
    e.add_argument("--repeat", type=int, default=1)
    e.add_argument("--truncating", action="store_true", help="also time plain encode() (which truncates)")
    v = sub.add_parser("serve")
    v.add_argument("--model", required=True)
    v.add_argument("--batch-size", type=int, default=32)
    v.add_argument("--threads", type=int, default=os.cpu_count())
    p = sub.add_parser("push")
    p.add_argument("--url", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--vectors", required=True)
    p.add_argument("--dimension", type=int, required=True)
    p.add_argument("--ids", required=True, help="a JSON list of point ids")
    p.add_argument("--payloads", help="a JSON list of payload objects")
    p.add_argument("--batch-size", type=int, default=256)
    r = sub.add_parser("readback")
    r.add_argument("--url", required=True)
    r.add_argument("--collection", required=True)
    r.add_argument("--ids", required=True, help="a JSON list of point ids")
    r.add_argument("--api-key-env", help="the environment variable holding the API key")
    args = parser.parse_args()
    {"encode": encode, "serve": serve, "push": push, "readback": readback}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
