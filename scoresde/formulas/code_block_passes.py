"""Passes over the straight-line statements of a pasted code block (code_blocks.py): each a reading rule of its own.

* a returned value's name (:func:`returned_name`): the function's name in the code bases' vocabulary, else what the
  value combines;
* lookups of a vocabulary name in an array at the step are dropped (:func:`lookups`), the times ``i / N`` and
  ``(i + 1) / N`` of an ``append`` loop are diffusers' ``t1``/``t2`` (:func:`step_times`);
* a weighted squared norm is written weight first (:class:`WeightFirst`);
* a schedule quantity the code base names is its own formula (:func:`named_quantities`).
"""
from __future__ import annotations

import ast
import re
from typing import List, Optional, Tuple

from .code_solvers import output_is_data
from .code_names import is_array as _is_array
from .code_names import name_to_latex
from .code_vocab import pick_vocab

__all__ = ["returned_name", "lookups", "step_times", "Renames", "WeightFirst", "named_quantities", "array_schedules",
           "in_place_steps"]

_RETURNS = [  # (function name pattern, the name code_latex reads the returned value as)
    (r"_?predict_x?start_from_(?:noise|eps)|_?predict_x0_from_eps", "x_start"),
    (r"_?predict_(?:noise|eps)_from_x?start|_?predict_eps_from_x0", "pred_noise"),
    (r"\w*beta_schedule\w*|betas_for_\w+", "betas"),
    (r"q_sample", "x_noisy"),
]
#: one symbol (σ_t, \hat{t}_i, \bar{\alpha}_{t-1}), not an expression a vocabulary writes for a name (c2 = √(…))
_SYMBOL = re.compile(r"\\?[A-Za-z]+(?:\{\\?[A-Za-z]+\})?(?:_\{?[A-Za-z0-9+\-]+\}?)?")
_STATE = re.compile(r"x\w*|img|sample|prev_sample")
_CLIPS = {"clip", "clamp", "clip_", "clamp_", "minimum", "min"}
_NOISE_CALLS = {"randn", "randn_like", "normal", "standard_normal", "normal_like", "noise_like"}
_SCHEDULE_NAME = re.compile(r"(?:sqrt_|recip_?|one_minus_|log_)*(?:alpha|sigma|beta|abar|lambda|gamma|snr|lamb)\w*|[tshi]|eta")
_EPS_NAMES = re.compile(r"(?:eps|epsilon|noise|pred_noise|e_t|eps_theta|model_output)\w*")


def returned_name(func: Optional[str], value: ast.expr, assigned) -> Tuple[str, dict]:
    """(the name the returned value is read as, names of the value renamed to what it makes them) (module docstring)."""
    if func:
        for pat, name in _RETURNS:
            if re.fullmatch(pat, func):
                return name, {}
    if isinstance(value, ast.Call) and getattr(value.func, "attr", getattr(value.func, "id", "")) in _CLIPS \
            and value.args and isinstance(value.args[0], ast.Name):
        return value.args[0].id, {}  # return clip(betas, …): the clipped array keeps its name
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    calls = {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(value) if isinstance(n, ast.Call)}
    noisy = bool(calls & _NOISE_CALLS) or any(n in assigned and assigned[n] for n in names) \
        or bool(names & {"noise", "z"} - set(assigned)) and any(re.fullmatch(r"(?:model_|posterior_)?mean\w*|mu\w*", n) for n in names)
    state = next((s for s in ("x_t", "x", "sample", "img", "x_mod") if s in names), None)
    if noisy:
        return {"x_t": "x_prev", "sample": "prev_sample", "img": "img", "x_mod": "x_mod"}.get(state or "x", "x_prev"), {}
    others = {n for n in names - {state} if not _SCHEDULE_NAME.fullmatch(n)}
    at_t = {"x": "x_t"} if state == "x" else {}  # the state the conversion reads is the one at t
    if state and any(_EPS_NAMES.fullmatch(n) for n in others):
        return "x_start", at_t
    if state and len(others) == 1:
        # an output y with no name of its own: the noise prediction is scaled by σ_t and the data prediction by α_t
        # (x_t = α_t x_0 + σ_t ε): (x − α·y)/σ is the noise from the data prediction (DPM-Solver's noise_pred_fn),
        # (x − σ·y)/α the data from the noise prediction (its data_pred_fn)
        y = others.pop()
        data = output_is_data(value.left if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div) else value, y)
        if data is not None:
            return ("pred_noise", dict(at_t, **{y: "pred_xstart"})) if data else ("x_start", dict(at_t, **{y: "noise"}))
    return "result", {}


def lookups(stmts: List[ast.stmt]) -> List[ast.stmt]:
    """Without the statements that look a name of the code base's vocabulary up in an array at the step
    (``a_t = alphas[index]``, ``alpha = alphas_cumprod[time]``): the name keeps the meaning its code base gives it
    (code_vocab), which is what the lookup computes."""
    ids = {n.id for s_ in stmts for n in ast.walk(s_) if isinstance(n, ast.Name)}
    vocab = pick_vocab(ids)

    def lookup(s_):
        if isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name) \
                and isinstance(s_.value, ast.Subscript) and isinstance(s_.value.value, ast.Name) \
                and s_.value.value.id == s_.targets[0].id:
            return True  # posterior_variance = extract(posterior_variance, t, …): the array's value at the step
        if vocab is None or not (isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name)
                                 and s_.targets[0].id in vocab.names):
            return False
        v = s_.value.body if isinstance(s_.value, ast.IfExp) else s_.value  # (… if prev_t >= 0 else one: the general)
        if isinstance(v, ast.Call) and getattr(v.func, "attr", getattr(v.func, "id", "")) == "norm":
            return True  # grad_norm = torch.norm(grad…): the norm the name says (score_sde's LangevinCorrector)
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mult) and {ast.unparse(v.left), ast.unparse(v.right)} & {"s_noise"} \
                and any(isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", "")) in _NOISE_CALLS
                        for n in ast.walk(v)):
            return True  # eps = randn_like(x) * s_noise: EDM's ε_i ~ N(0, S_noise² I) (Karras et al. 2022, Alg. 2 line 5)
        return isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) \
            and all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Load))
                    for n in ast.walk(v.slice))
    return [s_ for s_ in stmts if not lookup(s_)]


def step_times(stmts: List[ast.stmt]) -> List[ast.stmt]:
    """A schedule array built by ``append`` in a loop over the 0-based ``i`` (``for i in range(N)``) holds step t = i + 1:
    ``i / N`` is the time of step t − 1 and ``(i + 1) / N`` that of step t on [0, 1] (Nichol & Dhariwal 2021, Eq. 17 in
    improved-diffusion's and diffusers' betas_for_alpha_bar); they are the names ``t1``/``t2`` diffusers gives them."""
    if not any(isinstance(s_, ast.Expr) and getattr(s_.value.func, "attr", "") == "append" for s_ in stmts
               if isinstance(s_, ast.Expr) and isinstance(s_.value, ast.Call)):
        return stmts
    if any(isinstance(t_, ast.Name) and t_.id == "i" for s_ in stmts if isinstance(s_, ast.Assign) for t_ in s_.targets):
        return stmts
    times = {}
    kept = []
    for s_ in stmts:
        v = s_.value if isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name) else None
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Div) and isinstance(v.right, ast.Name):
            num = ast.unparse(v.left).replace(" ", "")
            if num in ("i", "(i+1)", "i+1"):
                times[s_.targets[0].id] = "t1" if num == "i" else "t2"
                continue
        kept.append(s_)
    return [Renames(times).visit(s_) for s_ in kept] if times else stmts


class Renames(ast.NodeTransformer):
    """Names renamed (``names``: name -> name) or replaced by expressions (``values``: name -> node)."""

    def __init__(self, names, values=None):
        self.names, self.values = names, values or {}

    def visit_Name(self, node: ast.Name):
        if node.id in self.values:
            return ast.parse(ast.unparse(self.values[node.id]), mode="eval").body
        return ast.Name(self.names[node.id], ast.Load()) if node.id in self.names else node


def _is_norm(node: ast.AST) -> bool:
    """A squared norm as code writes it: ``(v ** 2).sum(…)``, ``sum(v ** 2)``, ``mse_loss(a, b)``."""
    if not isinstance(node, ast.Call):
        return False
    fn = node.func
    name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
    if name == "mse_loss":
        return True
    arg = fn.value if isinstance(fn, ast.Attribute) and name == "sum" and not node.args else (node.args[0] if node.args else None)
    return name == "sum" and isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Pow) and ast.unparse(arg.right) == "2"


class WeightFirst(ast.NodeTransformer):
    """A product with a squared norm among its factors: the other factors (its weight) first, as the papers write the
    weighted objective λ ‖·‖² (the product is the same)."""

    def visit_BinOp(self, node: ast.BinOp):
        node = self.generic_visit(node)
        if not isinstance(node.op, ast.Mult):
            return node
        factors: List[ast.expr] = []

        def flat(n):
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
                flat(n.left)
                flat(n.right)
            else:
                factors.append(n)
        flat(node)
        norms = [f for f in factors if _is_norm(f)]
        if len(norms) != 1 or factors[-1] is norms[0]:
            return node
        rest = [f for f in factors if f is not norms[0]]
        prod = rest[0]
        for f in rest[1:] + norms:
            prod = ast.BinOp(prod, ast.Mult(), f)
        return prod


def named_quantities(stmts: List[ast.stmt]) -> Tuple[List[str], List[ast.stmt]]:
    """(programs, the rest): a statement assigning a schedule quantity the code base names (code_vocab: σ_t, t̂_i, not
    a state or a prediction) and read by a later statement is that quantity's own formula (with the statements it
    reads), and the later statements read the name (EDM Alg. 2 line 5 t̂_i = t_i + γ t_i as diffusers' ``sigma_hat``;
    DDIM's σ_t(η) as lucidrains' ``sigma``)."""
    vocab = pick_vocab({n.id for s_ in stmts for n in ast.walk(s_) if isinstance(n, ast.Name)})
    progs, rest, split = [], list(stmts), []
    for k, s_ in enumerate(stmts):
        if not (isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name)):
            continue
        name = s_.targets[0].id
        if isinstance(s_.value, ast.Name):
            continue  # t_hat = t_cur: another name of the same value (EDM's sampler without churn), inlined
        tex = vocab.names.get(name, "") if vocab is not None else ""
        if not tex and _is_array(name) and (vocab is None or name not in vocab.targets):
            tex = name_to_latex(name, "t")  # a schedule array by Ho et al.'s naming (alphas, alphas_cumprod): at t
        if not tex or vocab is not None and (name in vocab.models or name in vocab.targets) \
                or re.search(r"x|\\epsilon_|D_|z", tex) or not re.search(r"_\{?[ti]|^\\epsilon$", tex) \
                or not _SYMBOL.fullmatch(tex):
            continue  # (a quantity of the step: σ_t, t̂_i, γ_i, a step size ε; the constants β_1, β_T are inlined)
        later = stmts[k + 1:]
        if not any(isinstance(n, ast.Name) and n.id == name for l_ in later for n in ast.walk(l_)) \
                or any(isinstance(t_, ast.Name) and t_.id == name for l_ in later if isinstance(l_, ast.Assign) for t_ in l_.targets):
            continue
        reads = {n.id for n in ast.walk(s_.value) if isinstance(n, ast.Name)}
        deps = [d for d in stmts[:k] if isinstance(d, ast.Assign) and any(
            isinstance(t_, ast.Name) and t_.id in reads for t_ in d.targets) and not any(d is p_ for p_ in split)]
        progs.append("\n".join(ast.unparse(ast.fix_missing_locations(d)) for d in deps + [s_]))
        split.append(s_)  # (a quantity read by a later one is read there by its name)
        rest = [r_ for r_ in rest if r_ is not s_]
        for d in deps:  # a statement only the quantity read goes with it
            dn = {t_.id for t_ in d.targets if isinstance(t_, ast.Name)}
            if not any(isinstance(n, ast.Name) and n.id in dn for r_ in rest if r_ is not d for n in ast.walk(r_)):
                rest = [r_ for r_ in rest if r_ is not d]
    return progs, rest


def _slice(node: ast.AST) -> Optional[str]:
    """'first' for ``a[0]``, 'tail' for ``a[1:]``, 'head' for ``a[:-1]``, else None."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
        return None
    sl = ast.unparse(node.slice).replace(" ", "")
    return {"0": "first", "1:": "tail", ":-1": "head"}.get(sl)


def _grid(value: ast.AST) -> Optional[ast.expr]:
    """``linspace(0, A, n) / A`` -> the expression t / A, ``linspace(0, A, n)`` -> t (the grid at the integer index t =
    0 … A; lucidrains' cosine_beta_schedule), else None."""
    div = None
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
        value, div = value.left, value.right
    if not (isinstance(value, ast.Call) and getattr(value.func, "attr", getattr(value.func, "id", "")) == "linspace"
            and len(value.args) >= 2 and isinstance(value.args[0], ast.Constant) and value.args[0].value == 0):
        return None
    t = ast.Name("t", ast.Load())
    if div is None:
        return t
    return ast.BinOp(t, ast.Div(), div) if ast.dump(div) == ast.dump(value.args[1]) else None


class _Slices(ast.NodeTransformer):
    """``a[0]`` -> a's expression at t = 0; ``a[1:]`` / ``a[:-1]`` -> a at t / t − 1 (the arrays of a schedule over
    t = 0 … T: ``1 - a[1:] / a[:-1]`` is 1 − ᾱ_t/ᾱ_{t−1}, Nichol & Dhariwal 2021, Eq. 17 written on arrays)."""

    def __init__(self, arrays):
        self.arrays = arrays

    def visit_Subscript(self, node: ast.Subscript):
        kind = _slice(node)
        name = node.value.id if kind else None
        if kind == "first" and name in self.arrays:
            return Renames({}, {"t": ast.Constant(0)}).visit(ast.parse(ast.unparse(self.arrays[name]), mode="eval").body)
        if kind == "tail":
            return ast.Subscript(ast.Name(name, ast.Load()), ast.Name("t", ast.Load()), ast.Load())
        if kind == "head":
            return ast.Subscript(ast.Name(name, ast.Load()), ast.parse("t - 1", mode="eval").body, ast.Load())
        return self.generic_visit(node)


def array_schedules(stmts: List[ast.stmt]) -> Tuple[List[str], List[ast.stmt]]:
    """(programs, the rest) of a schedule computed on whole arrays over the grid t = 0 … T: the grid's name is t (or
    t/T), ``a[0]``, ``a[1:]``, ``a[:-1]`` as :class:`_Slices`; an array read shifted by a later statement is its own
    formula (ᾱ_t = f(t)/f(0)) and the later statement reads it at t and t − 1."""
    if not any(_slice(n) or (isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", "")) == "linspace")
               for s_ in stmts for n in ast.walk(s_)):
        return [], stmts
    grids, arrays, scalars, rest = {}, {}, {}, []
    for s_ in stmts:
        if not (isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name)):
            rest.append(s_)
            continue
        name = s_.targets[0].id
        raw = Renames({}, scalars).visit(ast.parse(ast.unparse(s_.value), mode="eval").body)
        value = Renames({}, grids).visit(ast.parse(ast.unparse(raw), mode="eval").body)
        grid = _grid(raw)
        if grid is not None and not grids:
            grids[name] = grid
            continue
        if not grids and not any(isinstance(n, (ast.Call, ast.Subscript)) for n in ast.walk(raw)):
            scalars[name] = raw  # steps = timesteps + 1, s = 0.008: the grid's and the formula's constants
            continue
        value = _InlineArrays(arrays).visit(_Slices(arrays).visit(value))  # (a = a / a[0]: from its old values)
        if any(isinstance(n, ast.Name) and (n.id == "t" or n.id in arrays) for n in ast.walk(value)) and grids:
            arrays[name] = value
        rest.append(ast.Assign([ast.Name(name, ast.Store())], value, lineno=0))
    if not grids:
        return [], stmts
    shifted = {n.value.id for s_ in rest for n in ast.walk(s_) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)}
    progs = [f"{a} = {ast.unparse(arrays[a])}" for a in arrays if a in shifted]
    keep = []
    for s_ in rest:
        name = s_.targets[0].id if isinstance(s_, ast.Assign) else None
        read_later = any(isinstance(n, ast.Name) and n.id == name for l_ in stmts if l_ is not None
                         and isinstance(l_, ast.Assign) and l_.targets[0] is not None for n in ast.walk(l_.value)
                         if not (isinstance(l_.targets[0], ast.Name) and l_.targets[0].id == name))
        if name in shifted or name in arrays and read_later:
            continue  # its own formula, or an array the later ones hold inlined
        keep.append(s_)
    return progs, keep


class _InlineArrays(ast.NodeTransformer):
    """The arrays' expressions in place of their names (never as the array an index reads: a[t] stays)."""

    def __init__(self, arrays):
        self.arrays = arrays

    def visit_Subscript(self, node: ast.Subscript):
        node.slice = self.visit(node.slice)
        return node

    def visit_Name(self, node: ast.Name):
        return ast.parse(ast.unparse(self.arrays[node.id]), mode="eval").body if node.id in self.arrays else node


def in_place_steps(stmts: List[ast.stmt]) -> List[List[ast.stmt]]:
    """The segments of straight-line code that updates its state in place more than once (``x = x + eps * …`` then
    ``x = x + d * dt``: Karras et al. 2022's Alg. 2 lines 6 and 8 in k-diffusion's sample_euler): each in-place update
    is one step of the algorithm and its own formula, with the statements before it that it reads; the statements
    after it read the state by name (the code base's vocabulary names the state between the steps)."""
    assigned = [s_.targets[0].id for s_ in stmts if isinstance(s_, ast.Assign) and len(s_.targets) == 1
                and isinstance(s_.targets[0], ast.Name)]
    twice = {n for n in assigned if assigned.count(n) > 1 and _STATE.fullmatch(n)}

    def in_place(s_):  # (or a state assigned twice: Karras et al.'s Euler predictor x_next, then its Heun correction)
        return isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name) \
            and (any(isinstance(n, ast.Name) and n.id == s_.targets[0].id for n in ast.walk(s_.value))
                 or s_.targets[0].id in twice)
    ups = [k for k, s_ in enumerate(stmts) if in_place(s_)]
    names = [stmts[k].targets[0].id for k in ups]
    if len(ups) < 2 or len(set(names)) != 1:
        return [stmts]
    segs, done = [], set()
    for k in ups:
        seg = []
        for j, s_ in enumerate(stmts[:k + 1]):
            if j in done or in_place(s_) and j != k:
                continue
            seg.append(s_)
        # a statement only an earlier step read (its noise draw) goes with that step
        need = {n.id for s_ in seg for n in ast.walk(s_) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        seg = [s_ for s_ in seg if s_ is stmts[k] or not isinstance(s_, ast.Assign)
               or any(isinstance(t_, ast.Name) and t_.id in need for t_ in s_.targets)]
        segs += _predicted_reads(seg, stmts[k])
        done.add(k)
    return segs


def _predicted_reads(seg: List[ast.stmt], update: ast.Assign) -> List[List[ast.stmt]]:
    """A corrector that reads the state it overwrites through an intermediate (Karras et al.'s Alg. 1 lines 7-8:
    d'_i from the predicted x_{i+1}, then x_{i+1} from d'_i): the intermediate is its own formula and the corrector
    reads it by name."""
    x = update.targets[0].id
    tainted, chain = {x}, []
    for s_ in seg:
        if s_ is update or not isinstance(s_, ast.Assign):
            continue
        if {n.id for n in ast.walk(s_.value) if isinstance(n, ast.Name)} & tainted and isinstance(s_.targets[0], ast.Name):
            tainted.add(s_.targets[0].id)
            chain.append(s_)
    if not chain or any(isinstance(n, ast.Name) and n.id == x for n in ast.walk(update.value)):
        return [seg]
    read = {n.id for n in ast.walk(update.value) if isinstance(n, ast.Name)}
    own = [c for c in chain if c.targets[0].id in read]
    if not own:
        return [seg]
    out = []
    for o in own:  # its formula: the chain up to it (its model evaluation at the predicted state)
        out.append([c for c in chain if c is o or c in chain[:chain.index(o)]])
    # the other slope it combines (d_i, from the model at the current state) is read by name too: the step is written
    # in its slopes (x_{i+1} = x_i + (t_{i+1} − t_i)(½ d_i + ½ d'_i)), each slope its own formula
    rest = [s_ for s_ in seg if not any(s_ is c for c in chain)]
    model_made = {s_.targets[0].id for s_ in rest if isinstance(s_, ast.Assign) and isinstance(s_.targets[0], ast.Name)
                  and any(isinstance(n, ast.Call) for n in ast.walk(s_.value))}
    slopes = [s_ for s_ in rest if s_ is not update and isinstance(s_, ast.Assign) and isinstance(s_.targets[0], ast.Name)
              and s_.targets[0].id in read and {n.id for n in ast.walk(s_.value) if isinstance(n, ast.Name)} & model_made]
    for sl in slopes:
        need = {n.id for n in ast.walk(sl.value) if isinstance(n, ast.Name)}
        out.append([s_ for s_ in rest if s_ is sl or isinstance(s_, ast.Assign) and s_ is not update
                    and rest.index(s_) < rest.index(sl) and s_.targets[0].id in need] )
    last = [s_ for s_ in rest if not any(s_ is sl for sl in slopes)]
    for _ in range(len(last)):  # without what only the slopes read (their model evaluation)
        loads = {n.id for s_ in last for n in ast.walk(s_.value if isinstance(s_, ast.Assign) else s_)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        drop = [s_ for s_ in last if s_ is not update and isinstance(s_, ast.Assign) and isinstance(s_.targets[0], ast.Name)
                and s_.targets[0].id not in loads]
        if not drop:
            break
        last = [s_ for s_ in last if not any(s_ is d for d in drop)]
    out.append(last)
    return out
