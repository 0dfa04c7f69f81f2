#!/usr/bin/env python3
"""An independent reference of mergekit's merge rules in numpy (no torch), for checking `stm merge`.

Written from the rules in issue 10's table and mergekit's documented behaviour (generalized task
arithmetic, sparsify, slerp, model_stock), not from STM Studio's TypeScript. Computes in float64.

  merge  --method M --base B --models a,b --weights .. [--densities ..] [--gamma g] [--epsilon e]
         [--lambda l] [--normalize true|false] [--rescale true|false] [--t x] --out merged.safetensors
         the deterministic methods: linear, task_arithmetic, ties, breadcrumbs, breadcrumbs_ties,
         slerp, model_stock
         --settings S  per-layer parameters as mergekit YAML holds them, in JSON (a string or a file):
         {"models": [{"weight": .., "density": ..}, ..], "parameters": {"weight": .., "lambda": .., ..}}
         where a value is a number, a list of numbers (a gradient over the layers) or a list of
         {"filter": substring, "value": ..}; evaluated per tensor as mergekit's config reader does
         (the model's setting, then the top-level one, then the default; t = layer / (layers - 1),
         1 in a one-layer model, 0 for tensors outside the layers). Replaces --weights etc.
  stats  --method M --base B --model a --merged m.safetensors --weight w --density d [--epsilon e]
         [--lambda l] [--normalize ..] [--rescale ..]
         DARE / DELLA (seeded masks cannot match another RNG): from a one-expert merge, recover the
         keep-mask (merged != base where delta != 0), and print JSON per tensor: kept vs the expected
         count and binomial variance, per-rank-quartile keep rates (della), the merge recomputed from
         the recovered mask with the rescale rule (max abs error) and the L1 ratio of the merged delta.

Deviation from mergekit, as in STM Studio: breadcrumbs keeps sorted[n_bot : n - n_top]; mergekit's
sorted[n_bot:-n_top] is empty when n_top = int(gamma*n) = 0 and zeroes the whole tensor (a bug).
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np

GTA = {
    # method: (sign election, sparsification, normalize default, rescale default)
    "task_arithmetic": (False, None, False, False),
    "ties": (True, "magnitude", True, False),
    "dare_linear": (False, "random", False, True),
    "dare_ties": (True, "random", False, True),
    "breadcrumbs": (False, "magnitude_outliers", False, False),
    "breadcrumbs_ties": (True, "magnitude_outliers", False, False),
    "della": (True, "della", True, True),
    "della_linear": (False, "della", False, True),
}

DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2)}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    start = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        chunk = raw[start + b : start + e]
        dt = info["dtype"]
        if dt == "BF16":
            u = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif dt in DTYPES:
            arr = np.frombuffer(chunk, dtype=DTYPES[dt][0])
        else:
            raise SystemExit(f"{path}: tensor {name}: dtype {dt} not supported")
        out[name] = arr.astype(np.float64).reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    header = {}
    off = 0
    blobs = []
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- sparsification (keep-masks), each on one task vector ----


def magnitude_keep(delta, density):
    """top int(density*n) of |delta| (stable: the earlier index wins a tie)"""
    flat = np.abs(delta).ravel()
    k = int(density * flat.size)
    if k <= 0:
        raise SystemExit(f"density {density} keeps no entry of a {flat.size}-element tensor")
    order = np.argsort(-flat, kind="stable")
    keep = np.zeros(flat.size, dtype=bool)
    keep[order[:k]] = True
    return keep.reshape(delta.shape)


def outliers_keep(delta, density, gamma):
    """breadcrumbs: drop the top int(gamma*n), then the smallest, keeping int(density*n)"""
    flat = np.abs(delta).ravel()
    n = flat.size
    target = int(density * n)
    n_top = int(gamma * n)
    n_bot = n - target - n_top
    if n_bot < 0:
        n_top += n_bot
        n_bot = 0
    order = np.argsort(flat, kind="stable")
    keep = np.zeros(n, dtype=bool)
    keep[order[n_bot : n - n_top]] = True
    return keep.reshape(delta.shape)


def della_probs(delta, density, epsilon):
    """per row (dim 1 of a matrix; a vector is one row): p = (density-eps) + 2*eps*rank_norm"""
    d = delta if delta.ndim >= 2 else delta.reshape(1, -1)
    mags = np.abs(d)
    ranks = np.argsort(np.argsort(mags, axis=1, kind="stable"), axis=1, kind="stable").astype(np.float64)
    length = d.shape[1]
    rank_norm = ranks / (length - 1) if length > 1 else np.full_like(ranks, 0.5)
    return ((density - epsilon) + 2 * epsilon * rank_norm).reshape(delta.shape), rank_norm.reshape(delta.shape)


def rescale_l1(delta, masked):
    before = np.abs(delta).sum()
    after = np.abs(masked).sum()
    if before < 1e-7 or after < 1e-7:
        return masked
    return masked * (before / after)


def sparsified(delta, keep, rescale):
    masked = np.where(keep, delta, 0.0)
    return rescale_l1(delta, masked) if rescale else masked


# ---- mixing ----


def gta(method, base, thetas, params, opts, keeps=None):
    consensus, sparse, norm_def, resc_def = GTA[method]
    normalize = opts.get("normalize", norm_def)
    rescale = opts.get("rescale", resc_def)
    lam = opts.get("lambda", 1.0)
    deltas = []
    for i, (theta, p) in enumerate(zip(thetas, params)):
        delta = theta - base
        density = p.get("density", 1.0)
        if sparse is not None and density < 1:
            if keeps is not None:
                keep = keeps[i]
            elif sparse == "magnitude":
                keep = magnitude_keep(delta, density)
            elif sparse == "magnitude_outliers":
                keep = outliers_keep(delta, density, p.get("gamma", 0.01))
            else:
                raise SystemExit(f"{method} is stochastic: use the stats command")
            delta = sparsified(delta, keep, rescale)
        deltas.append(delta)
    w = np.array([p["weight"] for p in params], dtype=np.float64).reshape((-1,) + (1,) * base.ndim)
    weighted = np.stack(deltas) * w
    if consensus:
        majority = np.where(weighted.sum(axis=0) >= 0, 1.0, -1.0)
        mask = (np.sign(weighted) == majority).astype(np.float64)
        mixed = (weighted * mask).sum(axis=0)
        divisor = (w * mask).sum(axis=0)
        divisor[divisor == 0] = 1.0
    else:
        mixed = weighted.sum(axis=0)
        divisor = np.full(base.shape, w.sum())
        divisor[np.abs(divisor) < 1e-8] = 1.0
    if normalize:
        mixed = mixed / divisor
    return base + lam * mixed


def linear(thetas, params, opts):
    w = np.array([p["weight"] for p in params], dtype=np.float64)
    s = sum(wi * t for wi, t in zip(w, thetas))
    return s / w.sum() if opts.get("normalize", True) else s


def slerp(t, v0, v1, eps=1e-8, threshold=0.9995):
    a = v0.ravel()
    b = v1.ravel()
    na = np.linalg.norm(a)
    nb = np.linalg.norm(b)
    ua = a / na if na > eps else a
    ub = b / nb if nb > eps else b
    dot = float(np.sum(ua * ub))
    if abs(dot) > threshold:
        return ((1 - t) * v0 + t * v1)
    theta0 = np.arccos(dot)
    s0 = np.sin(theta0 - theta0 * t) / np.sin(theta0)
    s1 = np.sin(theta0 * t) / np.sin(theta0)
    return s0 * v0 + s1 * v1


def model_stock(base, thetas):
    b = base.ravel()
    offs = [t.ravel() - b for t in thetas]
    coss = []
    for i in range(len(offs)):
        for j in range(i + 1, len(offs)):
            prod = max(np.linalg.norm(offs[i]) * np.linalg.norm(offs[j]), 1e-6)
            coss.append(min(1.0, max(-1.0, float(np.dot(offs[i], offs[j]) / prod))))
    cos = float(np.mean(coss))
    n = len(thetas)
    t = n * cos / (1 + (n - 1) * cos)
    return t * (sum(thetas) / n) + (1 - t) * base


def merge_one(method, base, thetas, params, opts):
    if method in GTA:
        return gta(method, base, thetas, params, opts)
    if method == "linear":
        return linear(thetas, params, opts)
    if method == "slerp":
        return slerp(opts["t"], base, thetas[0])
    if method == "model_stock":
        return model_stock(base, thetas)
    raise SystemExit(f"method {method} is not in this reference")


# ---- per-layer settings (mergekit's gradients and filters) ----

LAYER_RE = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)(?:\.|$)")
DEFAULTS = {"density": 1.0, "gamma": 0.01, "epsilon": 0.15, "lambda": 1.0}


def layer_of(name):
    m = LAYER_RE.search(name)
    return int(m.group(1)) if m else None


def position(name, n_layers):
    """Where a tensor sits on a gradient: its layer / (layers - 1); 0 outside the layers."""
    i = layer_of(name)
    if i is None:
        return 0.0
    return 1.0 if n_layers <= 1 else i / (n_layers - 1)


def evaluate(setting, name, t):
    """A setting's value for one tensor, or None when it is filters and none matches the name."""
    if isinstance(setting, (int, float)) and not isinstance(setting, bool):
        return float(setting)
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in setting):
        pts = np.asarray(setting, dtype=np.float64)
        return float(np.interp(t * (len(pts) - 1), np.arange(len(pts)), pts))
    for cond in setting:
        f = cond.get("filter")
        if f is None or f == "*" or f in name:
            return evaluate(cond["value"], name, t)
    return None


def lookup(key, own, top, name, t):
    for s in (own.get(key), top.get(key)):
        if s is not None:
            v = evaluate(s, name, t)
            if v is not None:
                return v
    if key in DEFAULTS:
        return DEFAULTS[key]
    raise SystemExit(f"tensor {name}: no value of {key} (required)")


def tensor_settings(method, settings, n_models, name, n_layers):
    """(per-model params, global options) of one tensor from --settings."""
    t = position(name, n_layers)
    top = settings.get("parameters", {})
    models = settings.get("models", [{}] * n_models)
    params = []
    for own in models:
        p = {} if method in ("slerp", "model_stock") else {"weight": lookup("weight", own, top, name, t)}
        for k in ("density", "gamma", "epsilon"):
            p[k] = lookup(k, own, top, name, t)
        params.append(p)
    opts = {}
    for k in ("normalize", "rescale"):
        if k in top:
            opts[k] = bool(top[k])
    opts["lambda"] = lookup("lambda", {}, top, name, t)
    if "t" in top:
        opts["t"] = lookup("t", {}, top, name, t)
    return params, opts


# ---- commands ----


def floats(s):
    return [float(x) for x in s.split(",")] if s else None


def boolean(s):
    if s is None:
        return None
    if s not in ("true", "false"):
        raise SystemExit(f"expected true or false, got {s}")
    return s == "true"


def options(a):
    o = {}
    for k in ("normalize", "rescale"):
        v = boolean(getattr(a, k))
        if v is not None:
            o[k] = v
    if a.lam is not None:
        o["lambda"] = a.lam
    if getattr(a, "t", None) is not None:
        o["t"] = a.t
    return o


def cmd_merge(a):
    models = a.models.split(",")
    weights = floats(a.weights) or [1.0] * len(models)
    dens = floats(a.densities)
    if len(weights) == 1:
        weights = weights * len(models)
    if dens and len(dens) == 1:
        dens = dens * len(models)
    params = []
    for i in range(len(models)):
        p = {"weight": weights[i]}
        if dens:
            p["density"] = dens[i]
        if a.gamma is not None:
            p["gamma"] = a.gamma
        params.append(p)
    base = read_safetensors(a.base) if a.base else None
    thetas = [read_safetensors(m) for m in models]
    names = list((base or thetas[0]).keys())
    settings = None
    if a.settings:
        text = open(a.settings).read() if os.path.exists(a.settings) else a.settings
        settings = json.loads(text)
    n_layers = max([layer_of(n) + 1 for n in names if layer_of(n) is not None] or [0])
    out = {}
    for name in names:
        if settings is None:
            p, o = params, options(a)
        else:
            p, o = tensor_settings(a.method, settings, len(models), name, n_layers)
        out[name] = merge_one(a.method, base[name] if base else None, [t[name] for t in thetas], p, o)
    write_safetensors(a.out, out)


def cmd_stats(a):
    base = read_safetensors(a.base)
    theta = read_safetensors(a.model)
    merged = read_safetensors(a.merged)
    consensus, sparse, norm_def, resc_def = GTA[a.method]
    opts = options(a)
    normalize = opts.get("normalize", norm_def)
    lam = opts.get("lambda", 1.0)
    params = [{"weight": a.weight, "density": a.density}]
    result = {}
    for name in base:
        delta = theta[name] - base[name]
        moved = merged[name] - base[name]
        live = delta != 0
        keep = (moved != 0) & live
        if sparse == "random":
            probs = np.full(delta.shape, a.density)
            rank_norm = None
        else:
            probs, rank_norm = della_probs(delta, a.density, a.epsilon)
        p = probs[live]
        entry = {
            "n": int(live.sum()),
            "kept": int(keep.sum()),
            "expected": float(p.sum()),
            "variance": float((p * (1 - p)).sum()),
            "moved_outside_delta": int(((moved != 0) & ~live).sum()),
        }
        if rank_norm is not None:
            buckets = []
            for q in range(4):
                sel = live & (rank_norm >= q / 4) & ((rank_norm < (q + 1) / 4) | (q == 3))
                pq = probs[sel]
                buckets.append(
                    {
                        "n": int(sel.sum()),
                        "kept": int(keep[sel].sum()),
                        "expected": float(pq.sum()),
                        "variance": float((pq * (1 - pq)).sum()),
                    }
                )
            entry["rank_quartiles"] = buckets
        # the merge recomputed from the recovered mask: checks the rescale rule and the mixing
        again = gta(a.method, base[name], [theta[name]], params, opts, keeps=[keep])
        entry["max_abs_error"] = float(np.max(np.abs(again - merged[name]))) if again.size else 0.0
        # one expert: merged delta = lam * w * s * delta * mask (divided by w where kept, with normalize)
        scale = abs(lam) * (1.0 if normalize else abs(a.weight))
        l1 = np.abs(delta).sum()
        entry["l1_ratio"] = float(np.abs(moved).sum() / (scale * l1)) if l1 > 0 else 1.0
        result[name] = entry
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("merge")
    s = sub.add_parser("stats")
    for p in (m, s):
        p.add_argument("--method", required=True)
        p.add_argument("--base")
        p.add_argument("--lambda", dest="lam", type=float)
        p.add_argument("--normalize")
        p.add_argument("--rescale")
    m.add_argument("--models", required=True)
    m.add_argument("--weights")
    m.add_argument("--densities")
    m.add_argument("--gamma", type=float)
    m.add_argument("--t", type=float)
    m.add_argument("--settings")
    m.add_argument("--out", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--merged", required=True)
    s.add_argument("--weight", type=float, default=1.0)
    s.add_argument("--density", type=float, required=True)
    s.add_argument("--epsilon", type=float, default=0.15)
    a = ap.parse_args()
    if a.cmd == "merge":
        cmd_merge(a)
    else:
        cmd_stats(a)


if __name__ == "__main__":
    main()
