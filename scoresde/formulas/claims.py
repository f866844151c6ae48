"""The YAML claims file (schema in docs/verify.md).

    claims:                      # or a bare list
      - name: ho-mu-theta        # required, unique
        latex: '\\mu_\\theta(x_t, t) = ...'   # or  math: '1/sqrt(alpha_t) * (...)'  (plain math)
        target: ddpm.mu_theta    # optional registry entry; inferred when absent
        notation: ddpm           # optional: ddpm | ddim | vdm (what alpha_t means)
        symbols: {F: ignore}     # optional: written symbols to drop as meaningless
        expect: inconsistent     # optional: the verdict this claim should get (checked by tests/CI)
        source: seed 000         # optional free text
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional


from .check import VERDICTS
from .registry import REGISTRY

__all__ = ["ClaimSpec", "load_claims", "parse_claims"]

_KEYS = {"name", "latex", "math", "target", "notation", "symbols", "expect", "source", "note",
         "category", "expect_reading", "mutation", "terms"}
NOTATIONS = ("ddpm", "ddim", "vdm", "su")


@dataclass
class ClaimSpec:
    name: str
    text: str
    target: Optional[str] = None
    notation: Optional[str] = None
    symbols: Dict[str, str] = field(default_factory=dict)
    expect: Optional[str] = None
    source: str = ""


def parse_claims(data, where: str = "claims") -> List[ClaimSpec]:
    """Validate loaded YAML data; ValueError names the offending claim and field."""
    if isinstance(data, dict):
        if "claims" not in data:
            raise ValueError(f"{where}: expected a list of claims or a mapping with a 'claims' list")
        data = data["claims"]
    if not isinstance(data, list) or not data:
        raise ValueError(f"{where}: 'claims' must be a non-empty list")
    out, names = [], set()
    for i, item in enumerate(data):
        tag = f"{where}: claim {i + 1}"
        if not isinstance(item, dict):
            raise ValueError(f"{tag}: must be a mapping, got {type(item).__name__}")
        extra = set(item) - _KEYS
        if extra:
            raise ValueError(f"{tag}: unknown field {sorted(extra)[0]!r}; valid: {', '.join(sorted(_KEYS))}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{tag}: field 'name' must be a non-empty string")
        tag = f"{where}: claim {name!r}"
        if name in names:
            raise ValueError(f"{tag}: duplicate name")
        names.add(name)
        text = item.get("latex", item.get("math"))
        if ("latex" in item) == ("math" in item):
            raise ValueError(f"{tag}: give exactly one of 'latex' or 'math'")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{tag}: field '{'latex' if 'latex' in item else 'math'}' must be a non-empty string")
        target = item.get("target")
        if target is not None and target not in REGISTRY:
            raise ValueError(f"{tag}: field 'target': unknown registry entry {target!r}")
        notation = item.get("notation")
        if notation is not None and notation not in NOTATIONS:
            raise ValueError(f"{tag}: field 'notation' must be one of {', '.join(NOTATIONS)}, got {notation!r}")
        symbols = item.get("symbols") or {}
        if not isinstance(symbols, dict) or any(v != "ignore" for v in symbols.values()):
            raise ValueError(f"{tag}: field 'symbols' must map written symbols to 'ignore'")
        expect = item.get("expect")
        if expect is not None and expect not in VERDICTS:
            raise ValueError(f"{tag}: field 'expect' must be one of {', '.join(VERDICTS)}, got {expect!r}")
        out.append(ClaimSpec(name, text, target, notation, {str(k): v for k, v in symbols.items()}, expect,
                             str(item.get("source", ""))))
    return out


def load_claims(path: str, max_bytes: Optional[int] = None) -> List[ClaimSpec]:
    """Read a claims file (bounded size, UTF-8, no YAML alias bombs: scoresde.formulas.files)."""
    from .files import MAX_BYTES, load_yaml

    data = load_yaml(path, MAX_BYTES if max_bytes is None else max_bytes)
    return parse_claims(data, where=path)
