#!/usr/bin/env python3
"""A Hugging Face layout Qwen2 or Llama model (bf16 safetensors, as `jsgl random-model` writes) to a
BF16 GGUF that llama.cpp loads, so that llama-bench runs the very shapes jsgl's bench-one-batch runs.

llama.cpp's own convert_hf_to_gguf.py needs torch and transformers, which this machine cannot
install; gguf-py (Debian's python3-gguf, see fetch.sh) writes the file. The tensors are copied
byte for byte; only Llama's q/k rows are reordered, as llama.cpp's converter does, because GGUF
stores them for interleaved RoPE.

    python3 hf_to_gguf.py MODEL_DIR OUT.gguf
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

ARCH = {"qwen2": gguf.MODEL_ARCH.QWEN2, "llama": gguf.MODEL_ARCH.LLAMA}
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


def read_safetensors(path):
    """name -> (dtype, shape, uint16 array) for a bf16 safetensors file, memory-mapped."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "BF16":
            sys.exit(f"error: {name} is {t['dtype']}; this converter takes bf16 checkpoints")
        start, end = t["data_offsets"]
        out[name] = raw[start:end].view(np.uint16).reshape(t["shape"])
    return out


def bf16_to_f32(t):
    return (t.astype(np.uint32) << 16).view(np.float32)


def interleave_rope_rows(w, heads):
    """HF Llama keeps each head's rotary pairs as halves; GGUF's Llama keeps them adjacent."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_rope_factors(cfg):
    """The per-frequency divisors of Llama 3.1's rope scaling, stored as rope_freqs.weight."""
    s = cfg["rope_scaling"]
    dim = cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg["rope_theta"]
    low_wavelen = s["original_max_position_embeddings"] / s["low_freq_factor"]
    high_wavelen = s["original_max_position_embeddings"] / s["high_freq_factor"]
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * base ** (i / dim)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(s["factor"])
        else:
            smooth = (s["original_max_position_embeddings"] / wavelen - s["low_freq_factor"]) / (
                s["high_freq_factor"] - s["low_freq_factor"])
            factors.append(1.0 / ((1 - smooth) / s["factor"] + smooth))
    return np.array(factors, dtype=np.float32)


def add_vocab(w, model_dir, arch_name, vocab_size):
    tok = json.loads((model_dir / "tokenizer.json").read_text())
    if tok["model"]["type"] != "BPE":
        sys.exit("error: only byte-level BPE tokenizers are converted")
    id_to_token = {i: t for t, i in tok["model"]["vocab"].items()}
    kind = {}
    for added in tok.get("added_tokens", []):
        id_to_token[added["id"]] = added["content"]
        kind[added["id"]] = gguf.TokenType.CONTROL if added["special"] else gguf.TokenType.USER_DEFINED
    tokens, types = [], []
    for i in range(vocab_size):
        if i in id_to_token:
            tokens.append(id_to_token[i])
            types.append(kind.get(i, gguf.TokenType.NORMAL))
        else:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(PRE_TOKENIZER[arch_name])
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    cfg_tok = json.loads((model_dir / "tokenizer_config.json").read_text())
    gen = json.loads((model_dir / "config.json").read_text())
    if gen.get("bos_token_id") is not None:
        w.add_bos_token_id(gen["bos_token_id"])
    eos = gen.get("eos_token_id")
    if eos is not None:
        w.add_eos_token_id(eos[0] if isinstance(eos, list) else eos)
    w.add_add_bos_token(bool(cfg_tok.get("add_bos_token", False)))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: hf_to_gguf.py MODEL_DIR OUT.gguf")
    model_dir, out = Path(sys.argv[1]), sys.argv[2]
    cfg = json.loads((model_dir / "config.json").read_text())
    arch_name = cfg["model_type"]
    if arch_name not in ARCH:
        sys.exit(f"error: model_type {arch_name!r}; this converter takes {sorted(ARCH)}")
    arch = gguf.MODEL_ARCH_NAMES[ARCH[arch_name]]
    tensors = read_safetensors(model_dir / "model.safetensors")
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]

    w = gguf.GGUFWriter(out, arch)
    w.add_name(model_dir.name)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_rope_dimension_count(cfg["hidden_size"] // heads)
    w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16)
    add_vocab(w, model_dir, arch_name, cfg["vocab_size"])

    bf16 = gguf.GGMLQuantizationType.BF16
    if (cfg.get("rope_scaling") or {}).get("rope_type") == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_rope_factors(cfg))
    for name, t in tensors.items():
        if name == "model.embed_tokens.weight":
            w.add_tensor("token_embd.weight", t, raw_dtype=bf16)
        elif name == "model.norm.weight":
            w.add_tensor("output_norm.weight", bf16_to_f32(t))
        elif name == "lm_head.weight":
            w.add_tensor("output.weight", t, raw_dtype=bf16)
        elif name.startswith("model.layers."):
            layer, rest = name[len("model.layers."):].split(".", 1)
            if rest not in LAYER_TENSORS:
                sys.exit(f"error: unexpected tensor {name}")
            if arch_name == "llama" and rest == "self_attn.q_proj.weight":
                t = interleave_rope_rows(t, heads)
            elif arch_name == "llama" and rest == "self_attn.k_proj.weight":
                t = interleave_rope_rows(t, kv_heads)
            gname = f"blk.{layer}.{LAYER_TENSORS[rest]}"
            if t.ndim == 1:  # norms and biases: llama.cpp adds them in f32
                w.add_tensor(gname, bf16_to_f32(t))
            else:
                w.add_tensor(gname, np.ascontiguousarray(t), raw_dtype=bf16)
        else:
            sys.exit(f"error: unexpected tensor {name}")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
