#!/usr/bin/env python3
"""GPU measurements for calibrating xpusim's GPU models: GEMM efficiency, attention kernels, HBM efficiency.

The target is the h200-sxm chip spec (specs/chips/h200-sxm.yaml); the script also runs on A100, H100 and B200.
It times cuBLAS GEMMs (bf16, fp8 e4m3), torch's scaled_dot_product_attention (flash and cuDNN backends,
prefill and decode shapes) and device-memory bandwidth (copy, STREAM triad), and writes OUT/results.json
(schema in bench/gpu/README.md). The file is rewritten as the run goes, so a killed run still leaves data.

    python3 bench/gpu/measure_h200.py --out DIR [--budget-seconds 420] [--sections memory,gemm,attention]
                                      [--quick] [--dry-run]

--dry-run needs no torch: it walks the same grid with synthetic roofline timings, to test the output format
and to estimate how long a real run takes. Only torch (and the standard library) is needed otherwise.
"""

import argparse
import collections
import ctypes
import datetime
import gc
import hashlib
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import warnings

# The budget counts from here, so importing torch and creating the CUDA context are inside it.
START_MONOTONIC = time.monotonic()

SCHEMA_VERSION = 1
ALL_SECTIONS = ("memory", "gemm", "attention")
# Cheapest first: if the budget runs out, the fewest measurements are lost.
DEFAULT_SECTIONS = "memory,gemm,attention"
DEFAULT_BUDGET_S = 420.0
MiB = 1 << 20
GiB = 1 << 30

# Llama 3 layer shapes (specs/models/llama3-8b.yaml, llama3-70b.yaml): name, hidden, heads, kv_heads,
# head_dim, ffn_hidden. Tensor parallelism 1, so every GEMM is the whole layer.
LLAMA3 = (
    ("llama3-8b", 4096, 32, 8, 128, 14336),
    ("llama3-70b", 8192, 64, 8, 128, 28672),
)

# Dense spec-sheet peaks copied from specs/chips/*.yaml, used only for "% of peak" in the summary.
# Matched against torch's device name in order (GB200 before B200, which it contains). H100 PCIe and NVL
# have other peaks and are deliberately left unmatched.
REFERENCE_CHIPS = (
    # (name substring, xpusim chip, bf16 TFLOP/s, fp8 TFLOP/s, HBM TB/s)
    ("GB200", "gb200", 2500.0, 5000.0, 8.0),
    ("B200", "b200", 2250.0, 4500.0, 8.0),
    ("H200", "h200-sxm", 989.4, 1978.9, 4.8),
    ("H100 80GB HBM3", "h100-sxm", 989.4, 1978.9, 3.35),
    ("H100 SXM", "h100-sxm", 989.4, 1978.9, 3.35),
    ("A100-SXM4-80GB", "a100-sxm-80gb", 312.0, None, 2.039),
)

# e4m3 ("fn" variant: no infinities) largest finite value; per-tensor scales map each tensor's amax onto it.
FP8_E4M3_MAX = 448.0

# SDPA backend names used in the results, and the torch.nn.attention.SDPBackend members they force.
SDPA_BACKENDS = {
    "flash": "FLASH_ATTENTION",
    "cudnn": "CUDNN_ATTENTION",
    "efficient": "EFFICIENT_ATTENTION",
    "math": "MATH",
}

# nvidia-smi fields sampled once a second during the run (throttling evidence next to each measurement).
# Drivers before 535 call the last field clocks_throttle_reasons.active.
TELEMETRY_FIELDS = ("timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,pstate,"
                    "clocks_event_reasons.active")
TELEMETRY_FIELDS_OLD = TELEMETRY_FIELDS.replace("clocks_event_reasons", "clocks_throttle_reasons")


class Skip(Exception):
    """An expected reason not to measure something (unsupported dtype, too little memory)."""


class Interrupted(BaseException):
    """SIGTERM arrived; a BaseException so that the per-measurement `except Exception` lets it through."""


def _on_sigterm(signum, frame):
    raise Interrupted("SIGTERM")


# --------------------------------------------------------------------------------------------------------
# Timing plan, shared by the real and the dry-run engine so that the dry run's time estimate follows the
# same repetition rules.


class TimingConfig:
    def __init__(self, min_time_ms, use_graphs):
        # Timed GPU work per measurement; shorter runs make p10/p90 meaningless.
        self.min_time_s = min_time_ms / 1e3
        # One sample is a batch of back-to-back calls lasting about this long: CUDA-event resolution
        # (~0.5 us) and the gap between graph replays then vanish, even for 3 us kernels.
        self.sample_s = 2e-3
        # Calls per sample (= per captured graph): bounds capture time and graph memory.
        self.max_inner = 512
        self.min_samples = 10
        self.max_samples = 200
        # A shape slower than max_time_s / min_samples still gets this many samples.
        self.floor_samples = 3
        self.max_time_s = 1.5
        self.warmup_calls = 3
        self.use_graphs = use_graphs

    def as_dict(self):
        return {
            "min_time_ms": self.min_time_s * 1e3,
            "sample_ms": self.sample_s * 1e3,
            "max_inner": self.max_inner,
            "min_samples": self.min_samples,
            "max_samples": self.max_samples,
            "max_time_per_measurement_s": self.max_time_s,
            "warmup_calls": self.warmup_calls,
            "cuda_graphs": self.use_graphs,
        }


def plan_reps(t_call_s, sets, cfg, time_left_s, inner=None):
    """Calls per sample (inner, unless given) and number of samples for a call of about t_call_s."""
    t_call_s = max(t_call_s, 1e-7)
    if inner is None:
        inner = min(cfg.max_inner, max(1, int(math.ceil(cfg.sample_s / t_call_s))))
        if sets > 1:
            # Whole rotation cycles, so every input set is used equally often and the graph holds each.
            inner = int(math.ceil(max(inner, sets) / float(sets))) * sets
    t_sample = inner * t_call_s
    samples = int(math.ceil(cfg.min_time_s / t_sample))
    samples = max(cfg.min_samples, min(cfg.max_samples, samples))
    cap_s = min(cfg.max_time_s, max(0.0, 0.5 * time_left_s))
    samples = min(samples, max(cfg.floor_samples, int(cap_s / t_sample)))
    return inner, samples


def rotation_sets(footprint_bytes, l2_bytes, max_sets=64):
    """How many copies of the inputs to cycle through so that no call finds its operands in L2.

    The copies together span 4x the L2 (50 MB on H200), so by the time a set comes round again the
    other sets' traffic has evicted it. Shapes already that large need no copies.
    """
    target = 4 * l2_bytes
    if footprint_bytes >= target:
        return 1
    return int(min(max_sets, math.ceil(target / float(max(footprint_bytes, 1)))))


def percentile(sorted_vals, q):
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = q * (len(sorted_vals) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def timing_result(per_call_us, inner, samples, mode, sets, footprint_bytes, note):
    """The timing fields every entry carries; the same keys whichever engine measured."""
    v = sorted(per_call_us)
    return {
        "median_us": percentile(v, 0.5),
        "p10_us": percentile(v, 0.1),
        "p90_us": percentile(v, 0.9),
        "reps": inner * samples,
        "samples": samples,
        "inner": inner,
        "timing_mode": mode,
        "l2_rotation_sets": sets,
        "footprint_bytes": footprint_bytes,
        "timing_note": note,
    }


# --------------------------------------------------------------------------------------------------------
# Measurement grids.


def layer_gemms():
    """(label, n, k) of each Llama 3 layer GEMM, in nn.Linear terms (out_features n, in_features k)."""
    out = []
    for name, hidden, heads, kv_heads, head_dim, ffn in LLAMA3:
        out.append((name + ".qkv", (heads + 2 * kv_heads) * head_dim, hidden))
        out.append((name + ".o", hidden, heads * head_dim))
        # Gate and up projections fused into one GEMM, as Megatron-LM and vLLM run them.
        out.append((name + ".gate_up", 2 * ffn, hidden))
        out.append((name + ".down", hidden, ffn))
    return out


def gemm_cases(quick):
    cases = []

    def add(group, label, m, n, k):
        cases.append({"group": group, "label": label, "m": m, "n": n, "k": k})

    for s in ((1024, 4096) if quick else (1024, 2048, 4096, 8192, 16384)):
        add("square", "square", s, s, s)
    # Shapes of the Azure AI-benchmarking-guide cuBLASLt table (cases azure-gemm-h200-fp8-* in
    # data/validation/published-results.yaml), so our numbers can be set beside theirs.
    azure = ((1024, 2145, 1024),) if quick else ((802816, 192, 768), (1024, 2145, 1024), (6144, 12288, 12288))
    for m, n, k in azure:
        add("azure", "azure", m, n, k)
    layers = layer_gemms()
    if quick:
        layers = [x for x in layers if x[0] in ("llama3-8b.qkv", "llama3-8b.down")]
    # Prefill/training token counts per GEMM.
    for m in ((2048,) if quick else (2048, 8192)):
        for label, n, k in layers:
            add("transformer", label, m, n, k)
    # Decode: m is the number of sequences in the batch; these GEMMs are weight-bandwidth bound.
    for m in ((1, 128) if quick else (1, 8, 32, 128, 256)):
        for label, n, k in layers:
            add("decode", label, m, n, k)
    return cases


def gemm_variants(case):
    """(dtype, fp8 fast accumulation) pairs to measure for one shape."""
    v = [("bf16", None), ("fp8_e4m3", True)]
    # Fast accumulation is what inference engines and Transformer Engine's forward pass use; the exact
    # (promoted) accumulation is measured on the reference shapes to show what it costs.
    if case["group"] in ("square", "azure"):
        v.append(("fp8_e4m3", False))
    return v


def gemm_min_bytes(m, n, k, dtype):
    """Compulsory traffic: read A and B once, write C (bf16) once."""
    in_bytes = 1 if dtype.startswith("fp8") else 2
    return (m * k + k * n) * in_bytes + m * n * 2


def attention_cases(quick, backends):
    cases = []
    # FlashAttention-2 paper's benchmark setup: 16k tokens per batch, hidden 2048, head dim 64 or 128.
    tokens, hidden = 16384, 2048
    seqs = (1024, 8192) if quick else (512, 1024, 2048, 4096, 8192, 16384)
    for head_dim in ((128,) if quick else (128, 64)):
        for seq in seqs:
            for causal in (False, True):
                for pass_ in ("fwd", "fwd_bwd"):
                    for backend in backends:
                        cases.append({
                            "group": "prefill", "batch": tokens // seq, "heads": hidden // head_dim,
                            "kv_heads": hidden // head_dim, "seq_q": seq, "seq_kv": seq, "head_dim": head_dim,
                            "causal": causal, "pass": pass_, "backend": backend,
                        })
    # Decode: one new token per sequence against a KV cache, Llama-3-70B-like GQA (64 query heads, 8 KV
    # heads, dim 128). Not causal: with one query row torch's top-left causal mask would hide all but
    # the first key, and the new token may see every cached one anyway.
    kv_lens = (1024, 32768) if quick else (1024, 2048, 4096, 8192, 16384, 32768)
    for batch in ((1, 64) if quick else (1, 8, 32, 64)):
        for kv_len in kv_lens:
            for backend in backends:
                cases.append({
                    "group": "decode", "batch": batch, "heads": 64, "kv_heads": 8, "seq_q": 1,
                    "seq_kv": kv_len, "head_dim": 128, "causal": False, "pass": "fwd", "backend": backend,
                })
    return cases


def attention_flops(c):
    """FlashAttention papers' convention: 4*b*h*sq*skv*d forward, halved if causal, backward 2.5x forward."""
    f = 4 * c["batch"] * c["heads"] * c["seq_q"] * c["seq_kv"] * c["head_dim"]
    if c["causal"]:
        f //= 2
    if c["pass"] == "fwd_bwd":
        f = f * 7 // 2
    return f


def attention_min_bytes(c, elt):
    """Forward compulsory traffic: read q, k, v once (the KV cache at its kv_heads), write o once."""
    qo = 2 * c["batch"] * c["heads"] * c["seq_q"] * c["head_dim"]
    kv = 2 * c["batch"] * c["kv_heads"] * c["seq_kv"] * c["head_dim"]
    return (qo + kv) * elt


def memory_cases(quick):
    cases = []
    # 16 MiB: source and destination fit in L2 together (a cache bandwidth, labelled as such);
    # 1 and 4 GiB: HBM.
    for size in ((1 * GiB,) if quick else (16 * MiB, 1 * GiB, 4 * GiB)):
        cases.append({"op": "copy", "variant": "copy_", "array_bytes": size})
    for variant in ("fused", "unfused"):
        cases.append({"op": "triad", "variant": variant, "array_bytes": 1 * GiB})
    return cases


def memory_bytes(case):
    """(bytes the kernels move, bytes STREAM counts) for one memory case."""
    s = case["array_bytes"]
    if case["op"] == "copy":
        return 2 * s, 2 * s
    if case["variant"] == "fused":
        return 3 * s, 3 * s
    # mul writes the temporary s*c and add reads it back: two extra array passes.
    return 5 * s, 3 * s


# --------------------------------------------------------------------------------------------------------
# Small helpers.


def one_line(e, limit=400):
    text = "%s: %s" % (type(e).__name__, str(e).strip().replace("\n", " | "))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def run_cmd(cmd, timeout=20):
    """(returncode, stdout) of a command, or None if it cannot be run at all."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.returncode, p.stdout


def parse_csv(text):
    """nvidia-smi --format=csv output as a list of {header: value} rows."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    header = [h.strip() for h in lines[0].split(",")]
    # A looping nvidia-smi may repeat its header; such lines are not samples.
    return [dict(zip(header, [x.strip() for x in ln.split(",")])) for ln in lines[1:] if ln != lines[0]]


def smi_value(row, field):
    """A value from a parsed nvidia-smi CSV row by field name; headers carry units and sometimes a longer
    name ("clocks.sm" is headed "clocks.current.sm [MHz]", "clocks.max.mem" "clocks.max.memory [MHz]")."""
    field = field.replace(".current", "")
    for header, value in row.items():
        name = header.split(" [")[0].replace(".current", "")
        if name == field or name.startswith(field):
            return value
    return None


def first_number(text):
    """Leading number of an nvidia-smi value such as '1980 MHz' or '700.00 W', else None."""
    try:
        return float(str(text).split()[0])
    except (ValueError, IndexError):
        return None


def reference_chip(gpu_name):
    for key, chip, bf16, fp8, hbm in REFERENCE_CHIPS:
        if gpu_name and key in gpu_name:
            return {"xpusim_chip": chip, "bf16_tflops": bf16, "fp8_tflops": fp8, "hbm_tb_s": hbm,
                    "source": "specs/chips/%s.yaml (dense peaks)" % chip}
    return None


def script_sha256():
    try:
        with open(os.path.abspath(__file__), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def empty_metadata():
    """Every metadata key, so that dry and real runs (and failed ones) share one structure."""
    keys = (
        "status", "dry_run", "quick", "args", "script", "script_sha256", "git_commit", "started_utc",
        "finished_utc", "wall_seconds", "hostname", "python_version", "platform", "gpu_name", "gpu_uuid",
        "compute_capability", "sm_count", "gpu_memory_bytes", "l2_cache_bytes", "driver_version",
        "cuda_version", "cuda_driver_api_version", "cublas_version", "cublaslt_version", "cudnn_version",
        "torch_version", "preferred_blas_library", "bf16_reduced_precision_reduction", "sdpa_flags",
        "nvidia_smi", "clocks_max_sm_mhz", "clocks_max_mem_mhz", "power_limit_w", "nvidia_smi_q_start",
        "nvidia_smi_q_end", "telemetry_fields", "telemetry", "section_times", "reference_chip", "timing",
        "conventions", "probes", "env", "errors", "dry_run_estimated_seconds",
    )
    md = dict.fromkeys(keys)
    md["section_times"] = {}
    md["errors"] = []
    md["probes"] = {}
    md["telemetry"] = []
    return md


CONVENTIONS = {
    "time": "median_us/p10_us/p90_us are per call: each sample times `inner` back-to-back calls (one CUDA "
            "graph replay when timing_mode is cuda_graph) with CUDA events and divides by inner; percentiles "
            "are over samples",
    "gemm": "C[m,n] = A[m,k] @ W[n,k]^T (nn.Linear layout, cuBLAS TN), bf16 output; tflops = 2mnk/time; "
            "gbytes_per_s = min_bytes/time with min_bytes = A + W read once + C written once; fp8 uses "
            "torch._scaled_mm with per-tensor scales",
    "l2": "inputs (and outputs) rotate among l2_rotation_sets copies spanning >= 4x L2, so operands come "
          "from HBM as in a model where the previous layer evicted them",
    "attention": "torch.nn.functional.scaled_dot_product_attention on [batch, seq, heads, dim] tensors viewed "
                 "as [batch, heads, seq, dim]; flops = 4*b*h*sq*skv*d, /2 if causal, x3.5 for fwd_bwd "
                 "(backward = 2.5x forward), as in the FlashAttention papers; gbytes_per_s (fwd only) from "
                 "q, k, v read once and o written once",
    "memory": "bytes = bytes the kernels move (copy: read + write; fused triad: 3 arrays; unfused triad: 5 "
              "array passes for mul into a temporary then add); stream_bytes = what STREAM counts",
    "units": "GB = 1e9 bytes, TFLOP = 1e12 FLOP, us = microseconds",
}


# --------------------------------------------------------------------------------------------------------
# Record builders: shared by both engines, so the JSON has one shape.


def gemm_record(case, dtype, fast_accum, m, n, k, padded_from, t):
    flops = 2 * m * n * k
    min_bytes = gemm_min_bytes(m, n, k, dtype)
    sec = t["median_us"] * 1e-6
    rec = {
        "m": m, "n": n, "k": k, "dtype": dtype,
        "median_us": round(t["median_us"], 3), "p10_us": round(t["p10_us"], 3), "p90_us": round(t["p90_us"], 3),
        "tflops": round(flops / sec / 1e12, 3), "gbytes_per_s": round(min_bytes / sec / 1e9, 2),
        "reps": t["reps"],
        "group": case["group"], "label": case["label"],
        "out_dtype": "bf16", "fp8_fast_accum": fast_accum,
        "fp8_scaling": "per-tensor" if dtype.startswith("fp8") else None,
        "padded_from": padded_from, "flops": flops, "min_bytes": min_bytes,
    }
    for key in ("samples", "inner", "timing_mode", "l2_rotation_sets", "footprint_bytes", "timing_note"):
        rec[key] = t[key]
    return rec


def attention_record(case, dtype, t):
    flops = attention_flops(case)
    elt = 1 if dtype.startswith("fp8") else 2
    sec = t["median_us"] * 1e-6
    min_bytes = attention_min_bytes(case, elt) if case["pass"] == "fwd" else None
    rec = {}
    for key in ("batch", "heads", "kv_heads", "seq_q", "seq_kv", "head_dim", "causal", "pass"):
        rec[key] = case[key]
    rec.update({
        "dtype": dtype, "backend": case["backend"],
        "median_us": round(t["median_us"], 3), "tflops": round(flops / sec / 1e12, 3),
        "p10_us": round(t["p10_us"], 3), "p90_us": round(t["p90_us"], 3),
        "gbytes_per_s": round(min_bytes / sec / 1e9, 2) if min_bytes is not None else None,
        "flops": flops, "min_bytes": min_bytes, "reps": t["reps"], "group": case["group"],
        "auto_backend": t["auto_backend"], "gqa_mode": t["gqa_mode"],
    })
    for key in ("samples", "inner", "timing_mode", "l2_rotation_sets", "footprint_bytes", "timing_note"):
        rec[key] = t[key]
    return rec


def memory_record(case, t):
    moved, stream = memory_bytes(case)
    sec = t["median_us"] * 1e-6
    rec = {
        "op": case["op"], "bytes": moved,
        "median_us": round(t["median_us"], 3), "gbytes_per_s": round(moved / sec / 1e9, 2),
        "p10_us": round(t["p10_us"], 3), "p90_us": round(t["p90_us"], 3),
        "dtype": "fp32", "array_bytes": case["array_bytes"], "variant": case["variant"],
        "stream_bytes": stream, "stream_gbytes_per_s": round(stream / sec / 1e9, 2),
        # Both arrays of a copy fit in L2 together: the number is a cache bandwidth, not HBM.
        "l2_resident_possible": case["op"] == "copy" and 2 * case["array_bytes"] <= 50 * MiB,
        "reps": t["reps"],
    }
    for key in ("samples", "inner", "timing_mode", "timing_note"):
        rec[key] = t[key]
    return rec


# --------------------------------------------------------------------------------------------------------
# The real engine.


class TorchEngine:
    """Runs the measurements with torch on one CUDA device."""

    def __init__(self, args, cfg):
        import torch
        import torch.nn.functional as F
        self.torch = torch
        self.F = F
        self.cfg = cfg
        if not torch.cuda.is_available() and not args.device.startswith("cpu"):
            raise RuntimeError("torch.cuda.is_available() is False (torch %s, built for CUDA %s)"
                               % (torch.__version__, torch.version.cuda))
        self.device = torch.device(args.device)
        if self.device.type == "cuda":
            if self.device.index is None:
                self.device = torch.device("cuda", torch.cuda.current_device())
            torch.cuda.set_device(self.device)
        torch.manual_seed(args.seed)
        self.props = torch.cuda.get_device_properties(self.device)
        # torch >= 2.? exposes the L2 size; H100/H200 have 50 MB.
        self.l2_bytes = int(getattr(self.props, "L2_cache_size", 0) or 50 * MiB)
        self._gqa = {}
        self._fp8_attention = None

    def clock(self):
        return time.monotonic() - START_MONOTONIC

    # -- device facts ----------------------------------------------------------------------------------

    def smi_ids(self):
        """Candidates for nvidia-smi -i, best first: the UUID (immune to CUDA_VISIBLE_DEVICES renumbering),
        then the index, which matches nvidia-smi's on an unrestricted one-GPU machine."""
        ids = []
        uuid = getattr(self.props, "uuid", None)
        if uuid:
            text = str(uuid)
            ids.append(text if text.startswith("GPU-") else "GPU-" + text)
        ids.append(str(self.device.index or 0))
        return ids

    def metadata(self):
        torch = self.torch
        p = self.props
        md = {
            "gpu_name": torch.cuda.get_device_name(self.device),
            "gpu_uuid": str(getattr(p, "uuid", "")) or None,
            "compute_capability": "%d.%d" % (p.major, p.minor),
            "sm_count": p.multi_processor_count,
            "gpu_memory_bytes": p.total_memory,
            "l2_cache_bytes": self.l2_bytes,
            "torch_version": torch.__version__,
            "cuda_version": torch.version.cuda,
            "cudnn_version": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        }
        try:
            md["cuda_driver_api_version"] = torch._C._cuda_getDriverVersion()
        except Exception:
            pass
        try:
            md["bf16_reduced_precision_reduction"] = \
                torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction
        except Exception:
            pass
        try:
            md["preferred_blas_library"] = str(torch.backends.cuda.preferred_blas_library())
        except Exception:
            pass
        flags = {}
        for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "cudnn_sdp_enabled", "math_sdp_enabled"):
            fn = getattr(torch.backends.cuda, name, None)
            if fn is not None:
                try:
                    flags[name] = bool(fn())
                except Exception:
                    pass
        md["sdpa_flags"] = flags
        md.update(self._blas_versions())
        return md

    def _blas_versions(self):
        """cuBLAS / cuBLASLt versions of the libraries torch actually loaded (torch reports neither)."""
        out = {}
        # One tiny matmul so the libraries are surely mapped before reading /proc/self/maps.
        a = self.torch.ones(16, 16, device=self.device, dtype=self.torch.float32)
        (a @ a).sum().item()
        paths = {}
        try:
            with open("/proc/self/maps") as f:
                for line in f:
                    path = line.split()[-1] if "/" in line else ""
                    base = os.path.basename(path)
                    if base.startswith("libcublasLt.so"):
                        paths.setdefault("lt", path)
                    elif base.startswith("libcublas.so"):
                        paths.setdefault("cublas", path)
        except OSError:
            return out
        try:
            if "cublas" in paths:
                lib = ctypes.CDLL(paths["cublas"])
                parts = []
                for prop in (0, 1, 2):  # libraryPropertyType: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
                    v = ctypes.c_int()
                    if lib.cublasGetProperty(prop, ctypes.byref(v)) != 0:
                        raise RuntimeError("cublasGetProperty failed")
                    parts.append(str(v.value))
                out["cublas_version"] = ".".join(parts)
        except Exception:
            pass
        try:
            if "lt" in paths:
                lib = ctypes.CDLL(paths["lt"])
                lib.cublasLtGetVersion.restype = ctypes.c_size_t
                v = int(lib.cublasLtGetVersion())  # major*10000 + minor*100 + patch
                out["cublaslt_version"] = "%d.%d.%d" % (v // 10000, (v // 100) % 100, v % 100)
        except Exception:
            pass
        return out

    def warm_up(self, seconds):
        """Bring clocks and power to their loaded state before the first measurement (and init cuBLAS)."""
        torch = self.torch
        a = torch.randn(8192, 8192, device=self.device, dtype=torch.bfloat16)
        c = torch.empty_like(a)
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            for _ in range(10):
                torch.matmul(a, a, out=c)
            torch.cuda.synchronize()
        del a, c
        self.cleanup()

    def free_memory(self):
        return self.torch.cuda.mem_get_info(self.device)[0]

    def cleanup(self):
        self.torch.cuda.synchronize()
        self.torch.cuda.empty_cache()

    def recover(self):
        # A failed measurement's traceback can hold its tensors; free them before the next one.
        gc.collect()
        try:
            self.cleanup()
        except Exception:
            pass

    # -- timing harness ------------------------------------------------------------------------------

    def _time(self, fn, sets, time_left_s, footprint_bytes, note=None):
        """Time fn(i) (i = rotation set) as described in CONVENTIONS["time"]."""
        torch, cfg = self.torch, self.cfg
        # Keep the last `sets` outputs alive so that outputs rotate through distinct buffers too,
        # instead of the allocator handing every call the same (L2-resident) block.
        keep = collections.deque(maxlen=max(1, sets))
        # Warm-up touches every set; the first call pays for cuBLAS heuristics, kernel loading, cuDNN plans.
        for i in range(max(sets, cfg.warmup_calls)):
            keep.append(fn(i % sets))
        torch.cuda.synchronize()
        # A rough per-call time from a short eager burst; it only sizes the repetition counts.
        n_est = max(sets, 3)
        e0 = torch.cuda.Event(enable_timing=True)
        e1 = torch.cuda.Event(enable_timing=True)
        e0.record()
        for i in range(n_est):
            keep.append(fn(i % sets))
        e1.record()
        e1.synchronize()
        t_call = e0.elapsed_time(e1) * 1e-3 / n_est
        inner, samples = plan_reps(t_call, sets, cfg, time_left_s)

        graph = None
        if cfg.use_graphs:
            try:
                graph = self._capture(fn, inner, sets, keep)
            except Exception as e:
                # Not every op is capturable in every torch version; eager timing still works, but
                # short kernels may then be limited by Python launch overhead (flagged below).
                graph = None
                note = _join(note, "CUDA graph capture failed, timed eagerly: " + one_line(e, 200))
                keep.clear()
                torch.cuda.synchronize()
        mode = "cuda_graph" if graph is not None else "eager"
        if graph is not None:
            # The eager estimate includes Python launch gaps, which overstate short calls; re-plan the
            # number of samples from one graph replay (inner stays: it is baked into the graph).
            e0.record()
            graph.replay()
            e1.record()
            e1.synchronize()
            _, samples = plan_reps(e0.elapsed_time(e1) * 1e-3 / inner, sets, cfg, time_left_s, inner)

        starts = [torch.cuda.Event(enable_timing=True) for _ in range(samples)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(samples)]
        torch.cuda.synchronize()
        if graph is not None:
            for s in range(samples):
                starts[s].record()
                graph.replay()
                ends[s].record()
        else:
            j = 0
            for s in range(samples):
                starts[s].record()
                for _ in range(inner):
                    keep.append(fn(j % sets))
                    j += 1
                ends[s].record()
        torch.cuda.synchronize()
        per_call_us = [st.elapsed_time(en) * 1e3 / inner for st, en in zip(starts, ends)]
        del graph
        keep.clear()
        if mode == "eager" and sorted(per_call_us)[len(per_call_us) // 2] < 20.0:
            note = _join(note, "eager timing of a short call: may include CPU launch gaps")
        return timing_result(per_call_us, inner, samples, mode, sets, footprint_bytes, note)

    def _capture(self, fn, inner, sets, keep):
        torch = self.torch
        keep.clear()
        # The torch CUDA-graphs notes ask for a warm-up on a side stream before capture (lazy inits,
        # autograd's stream bookkeeping).
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for i in range(sets):
                keep.append(fn(i))
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        keep.clear()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for j in range(inner):
                keep.append(fn(j % sets))
        keep.clear()
        # The first replay uploads the graph; keep that out of the timed samples.
        graph.replay()
        torch.cuda.synchronize()
        return graph

    # -- GEMM ----------------------------------------------------------------------------------------

    def probe_fp8_gemm(self):
        """None if fp8 GEMMs can run here, else the reason they cannot."""
        torch = self.torch
        if not hasattr(torch, "float8_e4m3fn") or not hasattr(torch, "_scaled_mm"):
            return "torch %s has no float8_e4m3fn / _scaled_mm" % torch.__version__
        if (self.props.major, self.props.minor) < (8, 9):
            return "fp8 tensor cores need compute capability >= 8.9, this GPU is %d.%d" % (
                self.props.major, self.props.minor)
        try:
            a = torch.randn(32, 32, device=self.device).to(torch.float8_e4m3fn)
            w = torch.randn(32, 32, device=self.device).to(torch.float8_e4m3fn)
            one = torch.ones((), device=self.device, dtype=torch.float32)
            out = self._scaled_mm(a, w.t(), one, one, True)
            self.torch.cuda.synchronize()
            if tuple(out.shape) != (32, 32):
                return "torch._scaled_mm returned shape %s for a 32x32x32 probe" % (tuple(out.shape),)
        except Exception as e:
            return "torch._scaled_mm probe failed: " + one_line(e)
        return None

    def _scaled_mm(self, a, b, scale_a, scale_b, fast_accum):
        # Keywords work for both signatures: torch <= 2.3 has keyword-only optional scales and returns
        # (out, amax); later versions take scale_a/scale_b as required arguments and return out alone.
        out = self.torch._scaled_mm(a, b, scale_a=scale_a, scale_b=scale_b, out_dtype=self.torch.bfloat16,
                                    use_fast_accum=fast_accum)
        return out[0] if isinstance(out, tuple) else out

    def _to_fp8(self, x):
        torch = self.torch
        # Per-tensor scaling as Transformer Engine does it: the tensor's amax maps onto e4m3's largest
        # value, so the data spans fp8's range (realistic bit patterns, hence realistic power). The clamp
        # guards against rounding past 448, which e4m3fn would turn into NaN.
        scale = (x.abs().amax().float() / FP8_E4M3_MAX).clamp(min=1e-12)
        q = (x / scale).clamp_(-FP8_E4M3_MAX, FP8_E4M3_MAX).to(torch.float8_e4m3fn)
        return q, scale

    def gemm(self, m, n, k, dtype, fast_accum, time_left_s):
        torch = self.torch
        fp8 = dtype.startswith("fp8")
        footprint = gemm_min_bytes(m, n, k, dtype)
        sets = rotation_sets(footprint, self.l2_bytes)
        a_list, b_list, c_list, sa_list, sb_list = [], [], [], [], []
        for _ in range(sets):
            a = torch.randn(m, k, device=self.device, dtype=torch.bfloat16)
            w = torch.randn(n, k, device=self.device, dtype=torch.bfloat16)
            if fp8:
                a, sa = self._to_fp8(a)
                w, sw = self._to_fp8(w)
                sa_list.append(sa)
                sb_list.append(sw)
            else:
                c_list.append(torch.empty(m, n, device=self.device, dtype=torch.bfloat16))
            a_list.append(a)
            # Weights stored [n, k] and used transposed, as nn.Linear does; _scaled_mm requires this
            # column-major second operand.
            b_list.append(w.t())
        if fp8:
            scaled_mm = self._scaled_mm

            def fn(i):
                return scaled_mm(a_list[i], b_list[i], sa_list[i], sb_list[i], fast_accum)
        else:
            matmul = torch.matmul

            def fn(i):
                return matmul(a_list[i], b_list[i], out=c_list[i])
        return self._time(fn, sets, time_left_s, footprint)

    # -- attention -----------------------------------------------------------------------------------

    def _force_backend(self, name):
        """A context manager that leaves SDPA only the named backend."""
        torch = self.torch
        try:
            from torch.nn.attention import SDPBackend, sdpa_kernel  # torch >= 2.3
        except ImportError:
            SDPBackend = None
        if SDPBackend is not None:
            member = getattr(SDPBackend, SDPA_BACKENDS[name], None)
            if member is None:
                raise Skip("torch %s has no SDPBackend.%s" % (torch.__version__, SDPA_BACKENDS[name]))
            return sdpa_kernel(member)
        if name == "cudnn":
            raise Skip("torch %s cannot force the cuDNN SDPA backend" % torch.__version__)
        flags = {"enable_flash": name == "flash", "enable_math": name == "math",
                 "enable_mem_efficient": name == "efficient"}
        try:
            return torch.backends.cuda.sdp_kernel(enable_cudnn=False, **flags)
        except TypeError:  # torch < 2.2: no cuDNN flag
            return torch.backends.cuda.sdp_kernel(**flags)

    def _auto_backend(self, q, k, v, causal, kw):
        """Which backend SDPA picks for these inputs when nothing is forced (torch's private chooser)."""
        try:
            choice = int(self.torch._fused_sdp_choice(q, k, v, None, 0.0, causal, **kw))
        except Exception:
            return None
        try:
            from torch.nn.attention import SDPBackend
            for member_name, member in SDPBackend.__members__.items():
                if int(getattr(member, "value", member)) == choice:
                    for ours, theirs in SDPA_BACKENDS.items():
                        if theirs == member_name:
                            return ours
                    return member_name.lower()
        except Exception:
            pass
        return "enum_%d" % choice

    def _gqa_support(self, backend):
        """Whether SDPA with this backend takes fewer KV heads (enable_gqa, torch >= 2.5); cached."""
        if backend not in self._gqa:
            torch, F = self.torch, self.F
            q = torch.randn(1, 8, 16, 128, device=self.device, dtype=torch.bfloat16)
            kv = torch.randn(1, 2, 16, 128, device=self.device, dtype=torch.bfloat16)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with self._force_backend(backend):
                        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
                torch.cuda.synchronize()
                self._gqa[backend] = (True, None)
            except Exception as e:
                self._gqa[backend] = (False, one_line(e, 200))
        return self._gqa[backend][0]

    def probe_sdpa(self, backends):
        """Probe results recorded in metadata.probes: GQA support per backend and fp8 attention."""
        out = {"gqa": {}}
        for b in backends:
            try:
                self._gqa_support(b)
                ok, why = self._gqa[b]
                out["gqa"][b] = "enable_gqa" if ok else "repeat_kv (enable_gqa failed: %s)" % why
            except Skip as e:
                out["gqa"][b] = "backend unavailable: %s" % e
        out["fp8_backend"], out["fp8_reason"] = self.probe_fp8_attention(backends)
        return out

    def probe_fp8_attention(self, backends):
        """(backend, None) for the first fused backend that runs fp8 SDPA, else (None, reason)."""
        torch, F = self.torch, self.F
        if self._fp8_attention is not None:
            return self._fp8_attention
        if not hasattr(torch, "float8_e4m3fn"):
            self._fp8_attention = (None, "torch %s has no float8_e4m3fn" % torch.__version__)
            return self._fp8_attention
        errors = []
        for b in backends:
            if b == "math":
                continue  # an unfused fallback is not an fp8 attention kernel
            try:
                q = torch.randn(1, 128, 2, 64, device=self.device).to(torch.float8_e4m3fn).transpose(1, 2)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with self._force_backend(b):
                        F.scaled_dot_product_attention(q, q, q)
                torch.cuda.synchronize()
                self._fp8_attention = (b, None)
                return self._fp8_attention
            except Exception as e:
                errors.append("%s: %s" % (b, one_line(e, 160)))
        self._fp8_attention = (None, "no fused SDPA backend of torch %s accepts float8_e4m3fn (%s)"
                               % (torch.__version__, "; ".join(errors)))
        return self._fp8_attention

    def attention(self, case, dtype, time_left_s):
        torch, F = self.torch, self.F
        b, h, kvh = case["batch"], case["heads"], case["kv_heads"]
        sq, skv, d = case["seq_q"], case["seq_kv"], case["head_dim"]
        causal, bwd = case["causal"], case["pass"] == "fwd_bwd"
        fp8 = dtype.startswith("fp8")
        elt = 1 if fp8 else 2
        gqa_mode = "none"
        if kvh != h:
            gqa_mode = "enable_gqa" if self._gqa_support(case["backend"]) else "repeat_kv"
        kv_alloc = h if gqa_mode == "repeat_kv" else kvh
        footprint = (2 * b * sq * h * d + 2 * b * skv * kv_alloc * d) * elt * (2 if bwd else 1)
        if footprint > 0.6 * self.free_memory():
            raise Skip("needs %.1f GB (gqa_mode %s), more than 60%% of free GPU memory"
                       % (footprint / 1e9, gqa_mode))
        sets = rotation_sets(footprint, self.l2_bytes)

        def rand(*shape):
            x = torch.randn(*shape, device=self.device, dtype=torch.bfloat16)
            if fp8:
                x = x.to(torch.float8_e4m3fn)
            return x.requires_grad_(True) if bwd else x

        leaves, views, grads = [], [], []
        for _ in range(sets):
            # Activations as models hold them, [batch, seq, heads, dim], seen by SDPA as
            # [batch, heads, seq, dim] through a transpose (what HF and Megatron models pass).
            q, k, v = rand(b, sq, h, d), rand(b, skv, kv_alloc, d), rand(b, skv, kv_alloc, d)
            leaves.append((q, k, v))
            views.append((q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)))
            if bwd:
                grads.append(torch.randn(b, sq, h, d, device=self.device, dtype=torch.bfloat16).transpose(1, 2))
        kw = {"enable_gqa": True} if gqa_mode == "enable_gqa" else {}
        sdpa = F.scaled_dot_product_attention
        if bwd:
            grad = torch.autograd.grad

            def fn(i):
                q, k, v = views[i]
                return grad(sdpa(q, k, v, is_causal=causal, **kw), leaves[i], grads[i])
        else:
            def fn(i):
                q, k, v = views[i]
                return sdpa(q, k, v, is_causal=causal, **kw)

        auto = self._auto_backend(views[0][0], views[0][1], views[0][2], causal, kw)
        note = None
        if gqa_mode == "repeat_kv":
            note = "KV heads repeated to %d once, outside the timed loop (no enable_gqa)" % h
        with self._force_backend(case["backend"]):
            t = self._time(fn, sets, time_left_s, footprint, note)
        t["auto_backend"] = auto
        t["gqa_mode"] = gqa_mode
        return t

    # -- memory --------------------------------------------------------------------------------------

    def memory(self, case, time_left_s):
        torch = self.torch
        n = case["array_bytes"] // 4
        dev = self.device
        if case["op"] == "copy":
            src = torch.empty(n, device=dev, dtype=torch.float32).fill_(1.0)
            dst = torch.empty_like(src)

            def fn(i):
                return dst.copy_(src)
        else:
            a = torch.empty(n, device=dev, dtype=torch.float32)
            b = torch.empty(n, device=dev, dtype=torch.float32).fill_(1.0)
            c = torch.empty(n, device=dev, dtype=torch.float32).fill_(2.0)
            s = 3.0
            if case["variant"] == "fused":
                # add's alpha computes b + s*c in one kernel: STREAM's triad, three array passes.
                def fn(i):
                    return torch.add(b, c, alpha=s, out=a)
            else:
                tmp = torch.empty_like(a)

                # What `a = b + s*c` costs in eager torch: mul writes a temporary that add reads back
                # (written with out= so that no allocation sits in the timed loop).
                def fn(i):
                    return torch.add(b, torch.mul(c, s, out=tmp), out=a)
        moved, _ = memory_bytes(case)
        # Arrays of 1 GiB and more dwarf L2, so no rotation; the 16 MiB copy is meant to sit in L2.
        return self._time(fn, 1, time_left_s, moved)


def _join(a, b):
    return b if not a else a + "; " + b


# --------------------------------------------------------------------------------------------------------
# The dry-run engine.


class FakeEngine:
    """Synthetic H200-like timings (roofline with made-up efficiencies) for testing the output format and
    estimating a real run's length. Nothing here is a measurement.
    """

    # Estimated fixed costs of a real run, for the time estimate: torch import plus CUDA context and
    # library loading; the clock warm-up; nvidia-smi calls and probes.
    STARTUP_S = 25.0
    WARMUP_S = 2.0
    # Per measurement: allocation, random init, cuBLAS/cuDNN first-call costs, empty_cache, Python.
    SETUP_S = 0.03
    # CPU time to capture one call into a CUDA graph (autograd backward costs more).
    CAPTURE_S = {"gemm": 30e-6, "fwd": 80e-6, "fwd_bwd": 400e-6, "memory": 20e-6}
    # cuDNN SDPA builds an execution plan for every new shape.
    CUDNN_PLAN_S = 0.3
    PEAK = {"bf16": 989.4e12, "fp8_e4m3": 1978.9e12}
    HBM = 4.8e12

    def __init__(self, args, cfg):
        self.cfg = cfg
        self.rng = random.Random(args.seed)
        self.sim_s = self.STARTUP_S
        self.l2_bytes = 50 * MiB

    def clock(self):
        return time.monotonic() - START_MONOTONIC + self.sim_s

    def metadata(self):
        return {
            "gpu_name": "DRY RUN (synthetic H200-like numbers, not a measurement)",
            "compute_capability": "9.0", "sm_count": 132, "gpu_memory_bytes": 141 * 10 ** 9,
            "l2_cache_bytes": self.l2_bytes, "torch_version": None, "sdpa_flags": {},
        }

    def smi_ids(self):
        return []

    def warm_up(self, seconds):
        self.sim_s += self.WARMUP_S

    def cleanup(self):
        pass

    def recover(self):
        pass

    def _time(self, t_call, sets, time_left_s, footprint, capture_s, extra_setup_s=0.0):
        cfg = self.cfg
        inner, samples = plan_reps(t_call, sets, cfg, time_left_s)
        # warm-up, estimate burst, side-stream warm-up, first graph replay, timed samples
        calls = max(sets, cfg.warmup_calls) + max(sets, 3) + sets + inner + inner * samples
        init_s = 2.0 * footprint * sets / self.HBM  # randn and casts write the inputs once or twice
        self.sim_s += self.SETUP_S + extra_setup_s + init_s + inner * capture_s + calls * t_call
        per_call_us = [t_call * 1e6 * (1.0 + 0.03 * self.rng.random()) for _ in range(samples)]
        return timing_result(per_call_us, inner, samples, "cuda_graph", sets, footprint, None)

    def probe_fp8_gemm(self):
        return None

    def probe_sdpa(self, backends):
        return {"gqa": dict((b, "enable_gqa") for b in backends),
                "fp8_backend": None,
                "fp8_reason": "dry run: assumed like current torch, whose fused SDPA backends reject fp8"}

    def probe_fp8_attention(self, backends):
        p = self.probe_sdpa(backends)
        return p["fp8_backend"], p["fp8_reason"]

    def gemm(self, m, n, k, dtype, fast_accum, time_left_s):
        flops = 2.0 * m * n * k
        footprint = gemm_min_bytes(m, n, k, dtype)
        # Wave quantization over 132 SMs with 128x256 tiles, damped for short k: plausible, not cuBLAS.
        tiles = math.ceil(m / 128.0) * math.ceil(n / 256.0)
        waves = tiles / 132.0
        eff = 0.8 * (waves / math.ceil(waves)) * min(1.0, k / 2048.0) ** 0.15
        if dtype.startswith("fp8"):
            eff *= 0.85 if fast_accum else 0.7
        t = max(flops / (self.PEAK[dtype] * eff), footprint / (self.HBM * 0.85)) + 3e-6
        sets = rotation_sets(footprint, self.l2_bytes)
        return self._time(t, sets, time_left_s, footprint, self.CAPTURE_S["gemm"])

    def attention(self, case, dtype, time_left_s):
        flops = attention_flops(case)
        elt = 1 if dtype.startswith("fp8") else 2
        bwd = case["pass"] == "fwd_bwd"
        eff = {"flash": 0.38, "cudnn": 0.55}.get(case["backend"], 0.3) * (0.85 if bwd else 1.0)
        kv = 2 * case["batch"] * case["seq_kv"] * case["kv_heads"] * case["head_dim"] * elt
        t = max(flops / (self.PEAK["bf16"] * eff), attention_min_bytes(case, elt) / (self.HBM * 0.7)) + 5e-6
        qo = 2 * case["batch"] * case["seq_q"] * case["heads"] * case["head_dim"] * elt
        footprint = (qo + kv) * (2 if bwd else 1)
        sets = rotation_sets(footprint, self.l2_bytes)
        plan_s = self.CUDNN_PLAN_S if case["backend"] == "cudnn" else 0.0
        r = self._time(t, sets, time_left_s, footprint, self.CAPTURE_S[case["pass"]], plan_s)
        r["auto_backend"] = "flash"
        r["gqa_mode"] = "enable_gqa" if case["kv_heads"] != case["heads"] else "none"
        return r

    def memory(self, case, time_left_s):
        moved, _ = memory_bytes(case)
        l2 = case["op"] == "copy" and 2 * case["array_bytes"] <= 50 * MiB
        t = moved / (self.HBM * (2.5 if l2 else 0.87)) + 3e-6
        return self._time(t, 1, time_left_s, moved, self.CAPTURE_S["memory"])


# --------------------------------------------------------------------------------------------------------
# nvidia-smi: static facts, -q text at start and end, and background telemetry.


class Smi:
    def __init__(self, device_ids, out_dir):
        self.id = None
        # The first selector nvidia-smi accepts; with none, its first GPU (this is a one-GPU script).
        for cand in device_ids:
            r = run_cmd(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader", "-i", cand])
            if r is not None and r[0] == 0 and r[1].strip():
                self.id = cand
                break
        self.out_dir = out_dir
        self.proc = None
        self.fields = None
        self.csv_path = os.path.join(out_dir, "telemetry.csv")

    def _sel(self):
        return ["-i", self.id] if self.id else []

    def static(self):
        """Brief's query: driver, name, max clocks, power limit (numbers parsed where possible)."""
        r = run_cmd(["nvidia-smi", "--query-gpu=driver_version,name,clocks.max.sm,clocks.max.mem,power.limit",
                     "--format=csv"] + self._sel())
        if r is None or r[0] != 0:
            return None
        rows = parse_csv(r[1])
        return rows[0] if rows else None

    def q_text(self):
        for d in ("CLOCK,POWER,TEMPERATURE,PERFORMANCE", "CLOCK,POWER,TEMPERATURE"):
            r = run_cmd(["nvidia-smi", "-q", "-d", d] + self._sel())
            if r is not None and r[0] == 0:
                return r[1]
        return None

    def start_telemetry(self, budget_s):
        for fields in (TELEMETRY_FIELDS, TELEMETRY_FIELDS_OLD):
            r = run_cmd(["nvidia-smi", "--query-gpu=" + fields, "--format=csv"] + self._sel())
            if r is not None and r[0] == 0:
                self.fields = fields
                break
        if self.fields is None:
            return
        cmd = ["nvidia-smi", "--query-gpu=" + self.fields, "--format=csv", "-lms", "1000"] + self._sel()
        if shutil.which("timeout"):
            # Should this script be SIGKILLed, the sampler still ends by itself soon after the budget.
            cmd = ["timeout", str(int(budget_s) + 120)] + cmd
        try:
            self._csv = open(self.csv_path, "w")
            self.proc = subprocess.Popen(cmd, stdout=self._csv, stderr=subprocess.DEVNULL)
        except OSError:
            self.proc = None

    def telemetry_rows(self):
        try:
            with open(self.csv_path) as f:
                return parse_csv(f.read())
        except OSError:
            return []

    def stop_telemetry(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
            self._csv.close()


# --------------------------------------------------------------------------------------------------------
# The run: sections, budget, incremental output.


class Runner:
    def __init__(self, args, engine, cfg):
        self.args = args
        self.engine = engine
        self.cfg = cfg
        self.results = {"schema_version": SCHEMA_VERSION, "metadata": empty_metadata(),
                        "gemm": [], "attention": [], "memory": [], "skipped": []}
        self.path = os.path.join(args.out, "results.json")
        self.last_save = 0.0
        self.smi = None

    @property
    def md(self):
        return self.results["metadata"]

    def time_left(self):
        return self.args.budget_seconds - self.engine.clock()

    def log(self, text):
        print("[%6.1fs] %s" % (self.engine.clock(), text), flush=True)

    def skip(self, what, reason):
        self.results["skipped"].append({"what": what, "reason": reason})
        self.log("skip %s: %s" % (what, reason))

    def save(self):
        if self.smi is not None:
            self.md["telemetry"] = self.smi.telemetry_rows()
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.results, f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, self.path)
        self.last_save = time.monotonic()

    def run_item(self, section, what, thunk):
        """Measure one thing; any failure becomes a `skipped` entry and the run goes on."""
        if self.time_left() <= 0:
            self.skip(what, "global budget of %g s exhausted" % self.args.budget_seconds)
            return
        caught = []
        failed = False
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                rec = thunk()
        except Interrupted:
            raise
        except Skip as e:
            self.skip(what, str(e))
        except Exception as e:
            failed = True
            reason = one_line(e)
            # SDPA explains "No available kernel" only through warnings; keep the first few.
            hints = [str(w.message).strip().replace("\n", " ")[:240] for w in (caught or [])[:3]]
            if hints:
                reason += " [warnings: " + " | ".join(hints) + "]"
            self.skip(what, reason)
        else:
            self.results[section].append(rec)
            self.log(describe(section, rec))
        finally:
            # Here the exception is cleared, so its traceback no longer holds the failed call's tensors.
            if failed:
                self.engine.recover()
            else:
                self.engine.cleanup()
            if time.monotonic() - self.last_save > 10.0:
                self.save()

    # -- sections ------------------------------------------------------------------------------------

    def run_gemm(self):
        eng = self.engine
        fp8_reason = eng.probe_fp8_gemm()
        self.md["probes"]["fp8_gemm"] = fp8_reason or "ok"
        for case in gemm_cases(self.args.quick):
            for dtype, fast in gemm_variants(case):
                m, n, k = case["m"], case["n"], case["k"]
                tag = dtype if fast is None else dtype + (" fast_accum" if fast else " exact_accum")
                what = "gemm %s %dx%dx%d (%s)" % (tag, m, n, k, case["label"])
                padded = None
                if dtype.startswith("fp8"):
                    if fp8_reason:
                        self.skip(what, fp8_reason)
                        continue
                    if n % 16 or k % 16:
                        # _scaled_mm (cuBLASLt fp8) needs n and k divisible by 16; the nearest legal
                        # shape is the useful stand-in (it is what a framework would pad to).
                        n16, k16 = -(-n // 16) * 16, -(-k // 16) * 16
                        self.skip(what, "torch._scaled_mm needs n and k divisible by 16; measured %dx%dx%d "
                                        "instead (entry has padded_from)" % (m, n16, k16))
                        padded = {"n": n, "k": k}
                        n, k = n16, k16
                self.run_item("gemm", what, lambda: gemm_record(
                    case, dtype, fast, m, n, k, padded, eng.gemm(m, n, k, dtype, fast, self.time_left())))

    def run_attention(self):
        eng = self.engine
        backends = self.args.attn_backends
        probes = eng.probe_sdpa(backends)
        self.md["probes"]["sdpa"] = probes
        cases = [(c, "bf16") for c in attention_cases(self.args.quick, backends)]
        if probes["fp8_backend"] is None:
            self.skip("attention fp8_e4m3 (all shapes)", probes["fp8_reason"])
        else:
            # A fused fp8 path exists in this torch: measure the forward pass on the prefill grid.
            for c in attention_cases(self.args.quick, [probes["fp8_backend"]]):
                if c["group"] == "prefill" and c["pass"] == "fwd" and c["head_dim"] == 128:
                    cases.append((c, "fp8_e4m3"))
        for case, dtype in cases:
            what = "attention %s %s %s b%d h%d/%d sq%d skv%d d%d%s" % (
                case["group"], dtype, case["pass"], case["batch"], case["heads"], case["kv_heads"],
                case["seq_q"], case["seq_kv"], case["head_dim"], " causal" if case["causal"] else "") + \
                " [" + case["backend"] + "]"
            self.run_item("attention", what, lambda: attention_record(
                case, dtype, eng.attention(case, dtype, self.time_left())))

    def run_memory(self):
        eng = self.engine
        for case in memory_cases(self.args.quick):
            what = "memory %s %s %d MiB" % (case["op"], case["variant"], case["array_bytes"] // MiB)
            self.run_item("memory", what, lambda: memory_record(case, eng.memory(case, self.time_left())))


def describe(section, r):
    if section == "gemm":
        extra = "" if r["fp8_fast_accum"] is None else (" fast" if r["fp8_fast_accum"] else " exact")
        return "gemm %-8s%s %dx%dx%d %s: %.1f us, %.1f TFLOP/s, %.0f GB/s (%s, %dx%d)" % (
            r["dtype"], extra, r["m"], r["n"], r["k"], r["label"], r["median_us"], r["tflops"],
            r["gbytes_per_s"], r["timing_mode"], r["samples"], r["inner"])
    if section == "attention":
        return "attn %s %s %s b%d h%d/%d sq%d skv%d d%d%s: %.1f us, %.1f TFLOP/s (auto: %s, %s)" % (
            r["backend"], r["dtype"], r["pass"], r["batch"], r["heads"], r["kv_heads"], r["seq_q"],
            r["seq_kv"], r["head_dim"], " causal" if r["causal"] else "", r["median_us"], r["tflops"],
            r["auto_backend"], r["timing_mode"])
    return "mem %s %s %d MiB: %.1f us, %.0f GB/s" % (
        r["op"], r["variant"], r["array_bytes"] // MiB, r["median_us"], r["gbytes_per_s"])


# --------------------------------------------------------------------------------------------------------
# Summary.


def summarize(results):
    md = results["metadata"]
    ref = md.get("reference_chip") or {}
    lines = []

    def pct(value, peak):
        return " (%.0f%% of %g)" % (100.0 * value / peak, peak) if peak else ""

    lines.append("== xpusim GPU measurements: %s | torch %s | CUDA %s | driver %s | status %s ==" % (
        md.get("gpu_name"), md.get("torch_version"), md.get("cuda_version"), md.get("driver_version"),
        md.get("status")))
    if md.get("dry_run"):
        lines.append("DRY RUN: all numbers are synthetic. Estimated real run time on an H200: %.0f s"
                     % (md.get("dry_run_estimated_seconds") or 0))
    gemm = results["gemm"]
    for dtype, fast in (("bf16", None), ("fp8_e4m3", True), ("fp8_e4m3", False)):
        rows = [r for r in gemm if r["dtype"] == dtype and r["fp8_fast_accum"] == fast]
        if not rows:
            continue
        name = dtype if fast is None else dtype + (" fast_accum" if fast else " exact_accum")
        peak = ref.get("bf16_tflops") if dtype == "bf16" else ref.get("fp8_tflops")
        best = max(rows, key=lambda r: r["tflops"])
        sq = ", ".join("%d: %.0f" % (r["m"], r["tflops"]) for r in rows if r["group"] == "square")
        lines.append("GEMM %s: best %.0f TFLOP/s%s at %dx%dx%d; square TFLOP/s {%s}" % (
            name, best["tflops"], pct(best["tflops"], peak), best["m"], best["n"], best["k"], sq))
        dec = [r for r in rows if r["group"] == "decode"]
        if dec:
            bw = max(dec, key=lambda r: r["gbytes_per_s"])
            lines.append("  decode GEMM best %.0f GB/s%s (m=%d %s)" % (
                bw["gbytes_per_s"], pct(bw["gbytes_per_s"] / 1e3, ref.get("hbm_tb_s")), bw["m"], bw["label"]))
    att = results["attention"]
    for r in att:
        if r["group"] == "prefill" and r["head_dim"] == 128 and r["seq_q"] == 8192:
            lines.append("attention %-5s %s %-7s sq 8192 d128 %-10s: %.0f TFLOP/s%s" % (
                r["backend"], r["dtype"], r["pass"], "causal" if r["causal"] else "non-causal", r["tflops"],
                pct(r["tflops"], ref.get("bf16_tflops"))))
    dec = [r for r in att if r["group"] == "decode" and r["gbytes_per_s"]]
    if dec:
        bw = max(dec, key=lambda r: r["gbytes_per_s"])
        lines.append("attention decode best %.0f GB/s%s (%s, batch %d, kv %d)" % (
            bw["gbytes_per_s"], pct(bw["gbytes_per_s"] / 1e3, ref.get("hbm_tb_s")), bw["backend"], bw["batch"],
            bw["seq_kv"]))
    for r in results["memory"]:
        lines.append("memory %-5s %-8s %5d MiB: %.0f GB/s%s%s" % (
            r["op"], r["variant"], r["array_bytes"] // MiB, r["gbytes_per_s"],
            pct(r["gbytes_per_s"] / 1e3, ref.get("hbm_tb_s")),
            " (L2-resident)" if r["l2_resident_possible"] else ""))
    sk = results["skipped"]
    lines.append("entries: gemm %d, attention %d, memory %d; skipped %d" % (
        len(gemm), len(att), len(results["memory"]), len(sk)))
    reasons = collections.Counter(s["reason"].split(" [warnings")[0][:120] for s in sk)
    for reason, count in reasons.most_common(5):
        lines.append("  skipped x%d: %s" % (count, reason))
    tel = md.get("telemetry") or []
    clocks = sorted(first_number(smi_value(r, "clocks.sm")) or 0 for r in tel)
    power = sorted(first_number(smi_value(r, "power.draw")) or 0 for r in tel)
    if clocks:
        lines.append("telemetry (%d samples): SM clock median %.0f MHz, min %.0f; power median %.0f W, "
                     "max %.0f W" % (
            len(tel), clocks[len(clocks) // 2], clocks[0], power[len(power) // 2], power[-1]))
    if md.get("errors"):
        lines.append("section errors: %d (see metadata.errors)" % len(md["errors"]))
    lines.append("wall time %.0f s; results in %s" % (md.get("wall_seconds") or 0, md.get("args", {}).get("out")))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Measure GEMM, attention and HBM performance of one NVIDIA GPU (target: H200) for "
                    "calibrating xpusim. Writes OUT/results.json; see bench/gpu/README.md.")
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--budget-seconds", type=float, default=DEFAULT_BUDGET_S,
                   help="wall-clock budget from start (default %(default)g); later measurements are skipped "
                        "and recorded as skipped")
    p.add_argument("--sections", default=DEFAULT_SECTIONS,
                   help="comma-separated subset of %s, run in the order given (default %%(default)s)"
                        % ",".join(ALL_SECTIONS))
    p.add_argument("--quick", action="store_true", help="a much smaller grid, for a smoke test")
    p.add_argument("--dry-run", action="store_true",
                   help="no torch or GPU: same JSON structure with synthetic numbers, plus a run-time estimate")
    p.add_argument("--attn-backends", default="flash,cudnn",
                   help="SDPA backends to force, comma-separated from %s (default %%(default)s)"
                        % ",".join(SDPA_BACKENDS))
    p.add_argument("--min-time-ms", type=float, default=None,
                   help="timed GPU work per measurement (default 50, 20 with --quick)")
    p.add_argument("--no-graphs", action="store_true", help="time eagerly instead of replaying CUDA graphs")
    p.add_argument("--warmup-seconds", type=float, default=1.5, help="GEMM load before measuring (default 1.5)")
    p.add_argument("--device", default="cuda", help="torch device to measure (default: current CUDA device)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in sections if s not in ALL_SECTIONS]
    if bad or not sections or len(set(sections)) != len(sections):
        p.error("--sections: %r is not a comma-separated subset of %s" % (args.sections, ",".join(ALL_SECTIONS)))
    args.sections = sections
    backends = [b.strip() for b in args.attn_backends.split(",") if b.strip()]
    bad = [b for b in backends if b not in SDPA_BACKENDS]
    if bad or not backends:
        p.error("--attn-backends: %r; choose from %s" % (args.attn_backends, ",".join(SDPA_BACKENDS)))
    args.attn_backends = backends
    if args.budget_seconds <= 0:
        p.error("--budget-seconds must be positive")
    if args.min_time_ms is None:
        args.min_time_ms = 20.0 if args.quick else 50.0
    if args.min_time_ms <= 0:
        p.error("--min-time-ms must be positive")
    return args


def git_commit():
    here = os.path.dirname(os.path.abspath(__file__))
    r = run_cmd(["git", "-C", here, "rev-parse", "HEAD"], timeout=5)
    if r is None or r[0] != 0:
        return None
    dirty = run_cmd(["git", "-C", here, "status", "--porcelain", "--", "."], timeout=5)
    suffix = "+dirty" if dirty is not None and dirty[0] == 0 and dirty[1].strip() else ""
    return r[1].strip() + suffix


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(args.out, exist_ok=True)
    signal.signal(signal.SIGTERM, _on_sigterm)
    cfg = TimingConfig(args.min_time_ms, use_graphs=not args.no_graphs)

    md_args = dict(vars(args))
    base = {
        "status": "starting", "dry_run": args.dry_run, "quick": args.quick, "args": md_args,
        "script": "bench/gpu/measure_h200.py", "script_sha256": script_sha256(), "git_commit": git_commit(),
        "started_utc": utc_now(), "hostname": socket.gethostname(), "python_version": platform.python_version(),
        "platform": platform.platform(), "timing": cfg.as_dict(), "conventions": CONVENTIONS,
        "env": dict((k, os.environ.get(k)) for k in (
            "CUDA_VISIBLE_DEVICES", "CUBLAS_WORKSPACE_CONFIG", "CUBLASLT_WORKSPACE_SIZE",
            "PYTORCH_CUDA_ALLOC_CONF", "TORCH_CUDNN_SDPA_ENABLED", "NVIDIA_TF32_OVERRIDE") if os.environ.get(k)),
    }

    try:
        engine = FakeEngine(args, cfg) if args.dry_run else TorchEngine(args, cfg)
    except Exception as e:
        # Still leave a results.json that says why nothing was measured.
        results = {"schema_version": SCHEMA_VERSION, "metadata": empty_metadata(), "gemm": [], "attention": [],
                   "memory": [], "skipped": [{"what": "all sections", "reason": "setup failed: " + one_line(e)}]}
        results["metadata"].update(base)
        results["metadata"]["status"] = "failed"
        results["metadata"]["errors"].append({"section": "setup", "error": one_line(e),
                                              "traceback": traceback.format_exc()})
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
        print("setup failed: %s" % one_line(e), file=sys.stderr)
        return 1

    run = Runner(args, engine, cfg)
    md = run.md
    md.update(base)
    status = "complete"
    try:
        try:
            md.update(engine.metadata())
        except Exception as e:
            md["errors"].append({"section": "metadata", "error": one_line(e), "traceback": traceback.format_exc()})
        md["reference_chip"] = reference_chip(md.get("gpu_name"))
        if not args.dry_run:
            run.smi = Smi(engine.smi_ids(), args.out)
            static = run.smi.static()
            md["nvidia_smi"] = static
            if static:
                md["driver_version"] = smi_value(static, "driver_version")
                md["clocks_max_sm_mhz"] = first_number(smi_value(static, "clocks.max.sm"))
                md["clocks_max_mem_mhz"] = first_number(smi_value(static, "clocks.max.mem"))
                md["power_limit_w"] = first_number(smi_value(static, "power.limit"))
            md["nvidia_smi_q_start"] = run.smi.q_text()
            run.smi.start_telemetry(args.budget_seconds)
            md["telemetry_fields"] = run.smi.fields
        md["status"] = "running"
        run.save()
        run.log("device: %s; sections %s; budget %g s" % (md.get("gpu_name"), ",".join(args.sections),
                                                         args.budget_seconds))
        try:
            engine.warm_up(args.warmup_seconds)
        except Exception as e:
            md["errors"].append({"section": "warm_up", "error": one_line(e), "traceback": traceback.format_exc()})
            engine.recover()

        for section in args.sections:
            t0 = utc_now()
            run.log("== section %s ==" % section)
            try:
                getattr(run, "run_" + section)()
            except Interrupted:
                raise
            except Exception as e:
                md["errors"].append({"section": section, "error": one_line(e),
                                     "traceback": traceback.format_exc()})
                run.skip("section %s (rest of it)" % section, "section failed: " + one_line(e))
                engine.recover()
            md["section_times"][section] = [t0, utc_now()]
            run.save()
    except (Interrupted, KeyboardInterrupt) as e:
        status = "interrupted"
        run.skip("rest of the run", "interrupted (%s)" % (str(e) or "Ctrl-C"))
    except Exception as e:
        # A bug outside the per-measurement guards: keep what was measured and say what happened.
        status = "failed"
        md["errors"].append({"section": "main", "error": one_line(e), "traceback": traceback.format_exc()})
        run.skip("rest of the run", "failed: " + one_line(e))
    finally:
        # A second SIGTERM must not cut the final write short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if run.smi is not None:
            run.smi.stop_telemetry()
            md["nvidia_smi_q_end"] = run.smi.q_text()
        md["status"] = status
        md["finished_utc"] = utc_now()
        md["wall_seconds"] = round(time.monotonic() - START_MONOTONIC, 1)
        if args.dry_run:
            md["dry_run_estimated_seconds"] = round(engine.clock(), 1)
        run.save()
        text = summarize(run.results)
        print(text, flush=True)
        try:
            with open(os.path.join(args.out, "summary.txt"), "w") as f:
                f.write(text + "\n")
        except OSError:
            pass
    produced = any(run.results[s] for s in ALL_SECTIONS)
    return 0 if produced else 1


if __name__ == "__main__":
    sys.exit(main())
