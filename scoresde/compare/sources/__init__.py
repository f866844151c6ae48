"""Sampler sources beyond scoresde's own steps: peers' schedulers and sampling functions through adapters.

``scoresde compare --samplers diffusers:UniPCMultistepScheduler,kdiffusion:dpmpp_3m_sde:eta=0,heun``: a name
``SOURCE:NAME[:KEY=VALUE...]`` is resolved by the source's module (one file per source + one line in
:data:`SOURCES`). Values are read as int, float, true/false, or kept as strings. Peers are optional
(``pip install "scoresde[peers]"``); a missing one is a ValueError that says how to install it.
"""
from __future__ import annotations

import importlib

from ..samplers import SamplerSpec

#: source name -> module implementing ``spec(full_name, name, options) -> SamplerSpec``
SOURCES = {
    "diffusers": "scoresde.compare.sources.diffusers",
    "kdiffusion": "scoresde.compare.sources.kdiffusion",
}


def _value(v: str):
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def parse(full: str):
    """'src:name:k=v:k2=v2' -> (src, name, {k: v})."""
    parts = full.split(":")
    src, name, opts = parts[0], (parts[1] if len(parts) > 1 else ""), {}
    for p in parts[2:]:
        if "=" not in p:
            raise ValueError(f"sampler {full!r}: option {p!r} is not KEY=VALUE")
        k, v = p.split("=", 1)
        opts[k.strip()] = _value(v.strip())
    if src not in SOURCES:
        raise ValueError(f"sampler {full!r}: unknown source {src!r}; valid: {', '.join(SOURCES)}")
    if not name:
        raise ValueError(f"sampler {full!r}: give a name after '{src}:'")
    return src, name, opts


def resolve_external(full: str) -> SamplerSpec:
    src, name, opts = parse(full)
    return importlib.import_module(SOURCES[src]).spec(full, name, opts)


__all__ = ["SOURCES", "parse", "resolve_external"]
