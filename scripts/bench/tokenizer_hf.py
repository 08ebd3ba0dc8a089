"""The peer of `blocklab bench tokenizer`: Hugging Face `tokenizers` training a byte-level
BPE to the same vocabulary on the same documents, and encoding them with BlockLab's
trained tokenizer (its tokenizer.json), so the ids can be compared.

    python tokenizer_hf.py WORK MODE REPEATS VOCAB_SIZE

WORK holds documents.json (a JSON list of strings) and blocklab-tokenizer/tokenizer.json.
MODE "all" trains, encodes on every core (RAYON_NUM_THREADS unset) and writes
WORK/hf_ids.bin (uint32 ids, each document ended by 0xFFFFFFFF); MODE "one" only encodes
(run it with RAYON_NUM_THREADS=1). Prints one JSON object: train_s (MODE all) and
encode_s, the best of REPEATS.
"""
import array
import json
import sys
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

work, mode, repeats, vocab_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
documents = json.load(open(work + "/documents.json"))
out = {}
if mode == "all":
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, show_progress=False,
        special_tokens=["<|endoftext|>", "<|commit|>", "<|message|>", "<|author|>", "<|date|>",
                        "<|files|>", "<|diff|>", "<|file|>", "<|code|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    start = time.perf_counter()
    hf.train_from_iterator(documents, trainer)
    out["train_s"] = time.perf_counter() - start
best = float("inf")
for _ in range(repeats):
    tok = Tokenizer.from_file(work + "/blocklab-tokenizer/tokenizer.json")
    start = time.perf_counter()
    encodings = tok.encode_batch(documents)
    best = min(best, time.perf_counter() - start)
out["encode_s"] = best
if mode == "all":
    ids = array.array("I")
    for e in encodings:
        ids.extend(e.ids)
        ids.append(0xFFFFFFFF)
    open(work + "/hf_ids.bin", "wb").write(ids.tobytes())
print(json.dumps(out))
