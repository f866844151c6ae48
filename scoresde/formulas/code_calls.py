"""Calls of diffusion code that code_latex reads beyond its core table (each is what the library function computes):

* ``linspace(a, b, n)``: the n evenly spaced values a + (k − 1)(b − a)/(n − 1), k = 1 … n, k the reader's index
  (``t`` for β/ᾱ schedules, ``i`` for noise levels σ_i, Song et al. 2021, App. C); ``linspace(a/d, b/d, n)`` is
  ``linspace(a, b, n)/d``; k-diffusion's ``get_sigmas_*(n, …)`` count is Song et al.'s N;
* Python's ``min(a, b)`` / ``max(a, b)`` and numpy's ``maximum``: the smaller / larger value, a numeric bound written
  second as the papers write a clip (Nichol & Dhariwal 2021, Sec. 3.2: min(β_t, 0.999));
* torch's ``a.lerp(b, w)`` = a + w (b − a);
* guided/improved diffusion's ``_extract_into_tensor(arr, t, shape)`` and the Annotated Diffusion Model's
  ``extract(a, t, x_shape)``: the array read at the step t (broadcast to the batch);
* ``torch.tensor(v, …)`` / ``np.array(v)``: the same value.

Statements: ``betas.append(v)`` in a loop over the steps is the array's element at the step, β_t = v (diffusers'
betas_for_alpha_bar, Ho et al.'s get_named_beta_schedule); a schedule name beside its ``_prev``/``_next`` (guided
diffusion's ``alpha_bar`` beside ``alpha_bar_prev``) is the current step's; noise levels defined by ``linspace`` are
indexed i = 1 … N, and score_sde's ``discrete_betas = linspace(beta_min / N, beta_max / N, N)`` divides the SDE's
β̄_min, β̄_max by N (Song et al. 2021, App. B-C). In a sampler's update of the state to another step (``x_prev``,
``x_next``, ``prev_sample``), ``eps`` is the network's prediction ε_θ: a sampler has no other (DDIM Eq. 12).
"""
from __future__ import annotations

import ast
import re
from typing import List, Optional

__all__ = ["more_calls", "appended", "current_step_names", "sequence_index", "sampler_eps"]


def more_calls(tex, n: ast.Call, name: str, method_of: Optional[ast.AST], args: List[ast.AST]) -> Optional[str]:
    """The LaTeX of one of the calls of the module docstring, read with ``tex`` (code_latex._Tex), or None."""
    bound = _one_sided_clamp(tex, n, name, method_of, args)
    if bound is not None:
        return bound
    if method_of is not None:
        if name == "lerp" and len(args) == 2:
            a = tex.wrap(method_of)
            return a + r" + " + tex.wrap(args[1]) + r" \cdot \left(" + tex(args[0]) + " - " + a + r"\right)"
        return None
    if name in ("_extract_into_tensor", "extract", "_extract") and len(args) >= 2:
        arr = args[0]
        if isinstance(arr, ast.Attribute) and isinstance(arr.value, ast.Name) and arr.value.id == "self":
            arr = ast.Name(arr.attr, ast.Load())
        return tex(ast.Subscript(arr, args[1], ast.Load()))
    if name in ("tensor", "as_tensor", "array", "asarray") and len(args) == 1:
        return tex(args[0])
    if name == "linspace" and len(args) == 3:
        if all(isinstance(x, ast.BinOp) and isinstance(x.op, ast.Div) for x in args[:2]) \
                and ast.dump(args[0].right) == ast.dump(args[1].right):
            inner = ast.Call(n.func, [args[0].left, args[1].left, args[2]], [])
            return r"\frac{" + tex(inner) + "}{" + tex(args[0].right) + "}"
        a, b, k = (tex(x) for x in args)
        i = tex.seq_index
        if i == "i" and isinstance(args[2], ast.Name) and args[2].id == "n":
            k = "N"
        return a + r" + \frac{" + i + r" - 1}{" + k + r" - 1} \cdot \left(" + b + " - " + tex.wrap(args[0]) + r"\right)"
    if name in ("min", "max", "maximum") and len(args) == 2 and not n.keywords:
        a, b = tex(args[0]), tex(args[1])
        if re.fullmatch(r"[\d.]+|\\frac\{\d+\}\{\d+\}", a):
            a, b = b, a
        return "\\%s\\left(%s, %s\\right)" % (name[:3], a, b)
    return None


def appended(st: ast.stmt):
    """(target, value) of ``arr.append(v)`` read as ``arr[t] = v``, or None."""
    v = st.value if isinstance(st, ast.Expr) else None
    if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "append"
            and isinstance(v.func.value, ast.Name) and len(v.args) == 1):
        return None
    return ast.Subscript(ast.Name(v.func.value.id, ast.Load()), ast.Name("t", ast.Load()), ast.Store()), v.args[0]


def current_step_names(mod: ast.AST, names, renamer) -> ast.AST:
    """``mod`` with each schedule name that has a ``_prev``/``_next`` beside it renamed to its ``_cur`` (a code base's
    own x, t beside x_next keep their vocabulary's meaning)."""
    for n_ in sorted(names):
        if (f"{n_}_prev" in names or f"{n_}_next" in names) and not re.search(r"_(?:t|s|i|prev|next|cur)$", n_) \
                and f"{n_}_t" not in names and re.match(r"(?:sqrt_|one_minus_)?(?:alpha|beta|abar)", n_):
            mod = renamer(n_, f"{n_}_cur").visit(mod)
    return mod


def sequence_index(tex, target, value: ast.AST) -> None:
    """Noise levels spaced by ``linspace`` (σ_i) and sde_lib's discrete arrays: index i, β̄ names (docstring)."""
    if isinstance(target, ast.Name) and re.fullmatch(r"discrete_\w+|sigmas?", target.id) \
            and any(isinstance(n_, ast.Call) and getattr(n_.func, "attr", getattr(n_.func, "id", None)) == "linspace"
                    for n_ in ast.walk(value)):
        tex.seq_index = "i"
        if target.id.startswith("discrete_"):
            tex.names.update({"beta_min": r"\bar{\beta}_{\min}", "beta_max": r"\bar{\beta}_{\max}"})


_UPDATE = re.compile(r"x_?(?:prev|next|tm1)|xt_(?:prev|next)|prev_sample|x_t_minus_1")


def sampler_eps(mod: ast.Module, renamer) -> ast.Module:
    """``mod`` with ``eps``/``epsilon`` read as ε_θ where a statement updates the state to another step (docstring)."""
    targets = {t.id for s_ in mod.body if isinstance(s_, ast.Assign) for t in s_.targets if isinstance(t, ast.Name)}
    used = {n.id for n in ast.walk(mod) if isinstance(n, ast.Name)}
    if not any(_UPDATE.fullmatch(t) for t in targets) or targets & {"eps", "epsilon"}:
        return mod
    for old in ("eps", "epsilon"):
        if old in used:
            mod = renamer(old, "eps_theta").visit(mod)
    return mod


def _one_sided_clamp(tex, n: ast.Call, name: str, method_of: Optional[ast.AST], args: List[ast.AST]) -> Optional[str]:
    """``clamp(x, max=h)``, ``x.clamp(max=h)``, ``x.clip(min=l)`` (torch/numpy keyword bounds): min(x, h), max(x, l);
    both bounds: min(max(x, l), h) (Min-SNR-γ weights are written torch.clamp(snr, max=γ), Hang et al. 2023)."""
    if name not in ("clamp", "clip", "clamp_max", "clamp_min"):
        return None
    kw = {k.arg: k.value for k in n.keywords if k.arg in ("min", "max", "a_min", "a_max")}
    if name in ("clamp_max", "clamp_min") and len(args) == (1 if method_of is not None else 2):
        kw = {name[6:]: args[-1]}
    elif not kw:
        return None
    x = method_of if method_of is not None else (args[0] if args else None)
    if x is None or (method_of is None and len(args) != 1 and name in ("clamp", "clip")):
        return None
    out = tex(x)
    lo, hi = kw.get("min", kw.get("a_min")), kw.get("max", kw.get("a_max"))
    if lo is not None and not (isinstance(lo, ast.Constant) and lo.value is None):
        out = r"\max\left(%s, %s\right)" % (out, tex(lo))
    if hi is not None and not (isinstance(hi, ast.Constant) and hi.value is None):
        out = r"\min\left(%s, %s\right)" % (out, tex(hi))
    return out
