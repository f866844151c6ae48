"""A registry entry: one named, cited formula in canonical sympy symbols (see :mod:`scoresde.formulas.registry`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import sympy as sp

__all__ = ["Entry"]


@dataclass
class Entry:
    name: str
    title: str
    source: str
    kind: str  # "sde", "step", "scalar", "relation", "langevin"
    family: str  # "vp", "subvp", "ve", "generic"
    latex: str
    relation: str  # how the entry is tied to the SDE objects
    direction: str = ""  # sde: forward/reverse/pf; step: forward/reverse/kernel/posterior/mean
    mode: str = "discrete"  # reading mode for claims of this entry
    # sde
    drift: Optional[sp.Expr] = None
    diff2: Optional[sp.Expr] = None
    noise: Optional[str] = None  # "dw", "dwbar", None
    # step
    lhs: str = ""  # step: "x_prev", "x_cur", "x", "mu_theta", "mu_tilde"; scalar: quantity key; relation: symbol name
    mean: Dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    var: Optional[List[sp.Expr]] = None
    var_names: Optional[List[str]] = None
    free: Tuple[sp.Symbol, ...] = ()  # free parameters fixed by the claim (DDIM's sigma_t)
    # scalar / relation
    rhs: Optional[sp.Expr] = None
    tie: Optional[Callable[["Entry"], Tuple[bool, str]]] = None
    numeric: Optional[str] = None  # "vp" / "ve": the step can be run as a sampler
    exact_target: Optional[str] = None  # for a non-exact discretisation: the exact step of the same family
    #: a schedule choice: how a claimed variant is tested for being a valid schedule of the same kind
    #: (an admissible.Spec; "consistent but different", issue 13)
    admissible: Optional[object] = None

    def forms(self) -> Dict[str, sp.Expr]:
        """The sympy pieces that define the entry (what the perturbation tests perturb)."""
        out: Dict[str, sp.Expr] = {}
        if self.kind == "sde":
            out["drift"] = self.drift
            out["diff2"] = self.diff2
        elif self.kind in ("step", "langevin"):
            for k, val in self.mean.items():
                out["mean:" + k.name] = val
            if self.var:
                out["var"] = self.var[0]
        else:
            out["rhs"] = self.rhs
        return out

    def with_forms(self, forms: Dict[str, sp.Expr]) -> "Entry":
        """A copy with some sympy pieces replaced (used to perturb entries in tests)."""
        import copy

        new = copy.copy(self)
        new.mean = dict(self.mean)
        new.var = list(self.var) if self.var else self.var
        for k, val in forms.items():
            if k == "drift":
                new.drift = val
            elif k == "diff2":
                new.diff2 = val
            elif k == "rhs":
                new.rhs = val
            elif k == "var":
                new.var = [val]
            elif k.startswith("mean:"):
                key = next(s for s in self.mean if s.name == k[5:])
                new.mean[key] = val
        return new



    def mean_lhs_symbol(self) -> sp.Symbol:
        """The canonical symbol a relation entry defines (score, ε, x̂₀ or v)."""
        from . import canon as C

        return {"s": C.s, "e": C.e, "x0": C.x0, "v": C.v}[self.lhs]
