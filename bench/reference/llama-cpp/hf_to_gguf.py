#!/usr/bin/env python3
"""A Hugging Face layout Qwen2 or Llama model (bf16 safetensors, as `jsgl random-model` writes) to a
BF16 GGUF that llama.cpp loads, so that llama-bench runs the very shapes jsgl's bench-one-batch runs.

llama.cpp's own convert_hf_to_gguf.py needs torch and transformers, which this machine cannot
install; this writes GGUF v3 with the standard library alone, so it also runs on the device
machine. Matrices are copied byte for byte, except that Llama's q/k rows are reordered as
llama.cpp's converter does, because GGUF stores them for interleaved RoPE; norms and biases
become f32, the type llama.cpp adds them in.

    python3 hf_to_gguf.py MODEL_DIR OUT.gguf
"""
import json
import math
import mmap
import struct
import sys
from pathlib import Path

ALIGNMENT = 32
F32, BF16 = 0, 30  # ggml tensor types
MOSTLY_BF16 = 32  # general.file_type
NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5  # token types
U32, I32, F32V, BOOL, STRING, ARRAY = 4, 5, 6, 7, 8, 9  # metadata value types
PRE_TOKENIZER = {"qwen2": "qwen2", "llama": "llama-bpe"}
LAYER_TENSORS = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class Metadata:
    def __init__(self):
        self.items = []

    def add(self, key, kind, value):
        if kind == STRING:
            body = string(value)
        elif kind == BOOL:
            body = struct.pack("<?", value)
        else:
            body = struct.pack({U32: "<I", I32: "<i", F32V: "<f"}[kind], value)
        self.items.append(string(key) + struct.pack("<I", kind) + body)

    def add_array(self, key, kind, values):
        if kind == STRING:
            body = b"".join(string(v) for v in values)
        else:
            body = struct.pack(f"<{len(values)}{ {I32: 'i', U32: 'I'}[kind] }", *values)
        self.items.append(string(key) + struct.pack("<IIQ", ARRAY, kind, len(values)) + body)


class Tensor:
    """One output tensor: its GGUF name, HF shape (rows first), ggml type and a way to get its bytes."""

    def __init__(self, name, shape, kind, data):
        self.name, self.shape, self.kind, self.data = name, shape, kind, data

    def nbytes(self):
        return math.prod(self.shape) * (2 if self.kind == BF16 else 4)


def read_safetensors(path):
    """name -> (shape, memoryview of the bf16 bytes) for a safetensors file, memory-mapped."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        raw = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "BF16":
            sys.exit(f"error: {name} is {t['dtype']}; this converter takes bf16 checkpoints")
        start, end = t["data_offsets"]
        out[name] = (t["shape"], raw[start:end])
    return out


def bf16_to_f32(data):
    """bf16 is the upper half of an f32: two zero bytes below each little-endian value."""
    out = bytearray(len(data) * 2)
    out[2::4] = data[0::2]
    out[3::4] = data[1::2]
    return bytes(out)


def interleave_rope_rows(shape, data, heads):
    """HF Llama keeps each head's rotary pairs as halves; GGUF's Llama keeps them adjacent."""
    rows, row_bytes = shape[0], len(data) // shape[0]
    half = rows // heads // 2
    order = [h * 2 * half + j * half + i for h in range(heads) for i in range(half) for j in range(2)]
    return b"".join(data[r * row_bytes:(r + 1) * row_bytes] for r in order)


def llama3_rope_factors(cfg):
    """The per-frequency divisors of Llama 3.1's rope scaling, stored as rope_freqs.weight."""
    s = cfg["rope_scaling"]
    dim = cfg["hidden_size"] // cfg["num_attention_heads"]
    original = s["original_max_position_embeddings"]
    low_wavelen, high_wavelen = original / s["low_freq_factor"], original / s["high_freq_factor"]
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * cfg["rope_theta"] ** (i / dim)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(s["factor"])
        else:
            smooth = (original / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
            factors.append(1.0 / ((1 - smooth) / s["factor"] + smooth))
    return struct.pack(f"<{len(factors)}f", *factors)


def add_vocab(meta, model_dir, cfg):
    tok = json.loads((model_dir / "tokenizer.json").read_text())
    if tok["model"]["type"] != "BPE":
        sys.exit("error: only byte-level BPE tokenizers are converted")
    id_to_token = {i: t for t, i in tok["model"]["vocab"].items()}
    kind = {}
    for added in tok.get("added_tokens", []):
        id_to_token[added["id"]] = added["content"]
        kind[added["id"]] = CONTROL if added["special"] else USER_DEFINED
    vocab = cfg["vocab_size"]
    meta.add("tokenizer.ggml.model", STRING, "gpt2")
    meta.add("tokenizer.ggml.pre", STRING, PRE_TOKENIZER[cfg["model_type"]])
    meta.add_array("tokenizer.ggml.tokens", STRING, [id_to_token.get(i, f"[PAD{i}]") for i in range(vocab)])
    meta.add_array("tokenizer.ggml.token_type", I32,
                   [kind.get(i, NORMAL) if i in id_to_token else UNUSED for i in range(vocab)])
    meta.add_array("tokenizer.ggml.merges", STRING,
                   [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]])
    if cfg.get("bos_token_id") is not None:
        meta.add("tokenizer.ggml.bos_token_id", U32, cfg["bos_token_id"])
    eos = cfg.get("eos_token_id")
    if eos is not None:
        meta.add("tokenizer.ggml.eos_token_id", U32, eos[0] if isinstance(eos, list) else eos)
    tok_cfg = json.loads((model_dir / "tokenizer_config.json").read_text())
    meta.add("tokenizer.ggml.add_bos_token", BOOL, bool(tok_cfg.get("add_bos_token", False)))


def tensors_of(model_dir, cfg):
    arch = cfg["model_type"]
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    out = []
    if (cfg.get("rope_scaling") or {}).get("rope_type") == "llama3":
        dim = cfg["hidden_size"] // heads
        out.append(Tensor("rope_freqs.weight", [dim // 2], F32, lambda: llama3_rope_factors(cfg)))
    for name, (shape, data) in read_safetensors(model_dir / "model.safetensors").items():
        if name == "model.embed_tokens.weight":
            gname = "token_embd.weight"
        elif name == "model.norm.weight":
            gname = "output_norm.weight"
        elif name == "lm_head.weight":
            gname = "output.weight"
        elif name.startswith("model.layers.") and name.split(".", 3)[3] in LAYER_TENSORS:
            _, _, layer, rest = name.split(".", 3)
            gname = f"blk.{layer}.{LAYER_TENSORS[rest]}"
            if arch == "llama" and rest in ("self_attn.q_proj.weight", "self_attn.k_proj.weight"):
                h = heads if rest.startswith("self_attn.q") else kv_heads
                out.append(Tensor(gname, shape, BF16, lambda s=shape, d=data, h=h: interleave_rope_rows(s, d, h)))
                continue
        else:
            sys.exit(f"error: unexpected tensor {name}")
        if len(shape) == 1:
            out.append(Tensor(gname, shape, F32, lambda d=data: bf16_to_f32(d)))
        else:
            out.append(Tensor(gname, shape, BF16, lambda d=data: d))
    return out


def pad(n):
    return -n % ALIGNMENT


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: hf_to_gguf.py MODEL_DIR OUT.gguf")
    model_dir, out_path = Path(sys.argv[1]), sys.argv[2]
    cfg = json.loads((model_dir / "config.json").read_text())
    arch = cfg["model_type"]
    if arch not in PRE_TOKENIZER:
        sys.exit(f"error: model_type {arch!r}; this converter takes {sorted(PRE_TOKENIZER)}")
    meta = Metadata()
    meta.add("general.architecture", STRING, arch)
    meta.add("general.name", STRING, model_dir.name)
    meta.add("general.file_type", U32, MOSTLY_BF16)
    for key, value in [("context_length", cfg["max_position_embeddings"]), ("embedding_length", cfg["hidden_size"]),
                       ("block_count", cfg["num_hidden_layers"]), ("feed_forward_length", cfg["intermediate_size"]),
                       ("attention.head_count", cfg["num_attention_heads"]),
                       ("attention.head_count_kv", cfg["num_key_value_heads"]),
                       ("rope.dimension_count", cfg["hidden_size"] // cfg["num_attention_heads"]),
                       ("vocab_size", cfg["vocab_size"])]:
        meta.add(f"{arch}.{key}", U32, value)
    meta.add(f"{arch}.attention.layer_norm_rms_epsilon", F32V, cfg["rms_norm_eps"])
    meta.add(f"{arch}.rope.freq_base", F32V, cfg["rope_theta"])
    add_vocab(meta, model_dir, cfg)
    tensors = tensors_of(model_dir, cfg)

    with open(out_path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta.items)))
        for item in meta.items:
            f.write(item)
        offset = 0
        for t in tensors:  # ggml lists dimensions innermost first
            f.write(string(t.name) + struct.pack(f"<I{len(t.shape)}QIQ", len(t.shape), *reversed(t.shape), t.kind, offset))
            offset += t.nbytes() + pad(t.nbytes())
        f.write(b"\0" * pad(f.tell()))
        for t in tensors:
            data = t.data()
            if len(data) != t.nbytes():
                sys.exit(f"error: {t.name} has {len(data)} bytes, its shape {t.shape} needs {t.nbytes()}")
            f.write(data)
            f.write(b"\0" * pad(len(data)))


if __name__ == "__main__":
    main()
