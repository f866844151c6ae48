"""A block of code pasted for a formula -> the straight-line programs it runs, one per branch (code_latex reads each).

People paste the code of the diffusion code bases as it stands: fenced (```` ```python ````), with statements
over several lines, ``return (…)``, a ``def`` with its body, ``if``/``else`` branches, loops, ``self.`` attributes
and the code bases' helpers. Each rule is what the Python means, read with :mod:`ast`:

* fences, comments, ``def`` headers, docstrings, ``pass``/``assert`` and loop headers carry no formula: a function's
  or a loop's body is straight-line code (the loop body is one step of the sampler, the formula the papers state);
* an ``if``/``else`` is one program per branch (the statements before and after are shared); each branch is a
  formula and is judged: two algorithm variants (DPM-Solver's ``dpmsolver++`` and ``dpmsolver``) are two formulas, and
  the boundary case of a sampler (``if t_index == 0: return model_mean``, Ho et al. 2020's Algorithm 2 with z = 0 at
  t = 1) is judged as what it returns (the mean μ_θ), the general step as the step;
* ``return v`` of a function is the value the function's name states in the code bases' vocabulary
  (``predict_start_from_noise``/``_predict_xstart_from_eps`` x̂_0, ``predict_noise_from_start``/
  ``_predict_eps_from_xstart`` ε̂, ``*_beta_schedule`` the β's, ``q_sample`` x_t); a return with no function around
  it is read by what it combines: fresh noise added to a mean -> the sampler's next state; the state with a noise
  prediction -> x̂_0; the state with one unnamed output y -> x̂_0 where y is scaled by σ, ε̂ where by α (the
  conversions between parameterisations, Ho et al. 2020, Eq. 15 and its inverse, DPM-Solver's ``data_pred_fn`` /
  ``noise_pred_fn``: x_t = α_t x_0 + σ_t ε);
* a name the code base's vocabulary gives a schedule quantity (σ_t, t̂_i, γ_i; code_vocab) assigned and read later is
  that quantity's own formula, and the later statements read it by name; looked up in an array at the step
  (``a_t = alphas[index]``) it keeps the vocabulary's meaning;
* ``register_buffer('name', v)`` (torch.nn.Module) and ``self.name = v`` store v under the name; ``self.name`` reads
  it; a statement with no mathematics (``images.append(…)``, ``x = x.long()``) is dropped;
* the helpers that broadcast a per-step scalar are the value itself: ``extract(a, t, x.shape)``,
  ``_extract_into_tensor`` (the array at t), DPM-Solver's ``expand_dims(v, dims)``, k-diffusion's ``append_dims``;
  shape methods ``.view .reshape .squeeze .unsqueeze .flatten .expand_as .long .int .item`` keep the values;
  CompVis' ``noise_like(shape, device)`` is a standard normal draw and its ``temperature`` (1 by default) scales it;
  ``ones(…)`` is 1, ``zeros(…)`` 0, ``logaddexp(a, b)`` is log(eᵃ + eᵇ);
* a call of a function the code base defines with a known signature binds its parameters (improved-diffusion's
  ``betas_for_alpha_bar(num_diffusion_timesteps, alpha_bar, max_beta)``), and a name bound to a ``lambda`` that a
  later statement calls is that function.
"""
from __future__ import annotations

import ast
import re
import textwrap
from typing import Callable, List, Optional, Tuple

__all__ = ["code_programs", "judge_code_block"]

_FENCE = re.compile(r"^\s*```[ \t]*([\w+-]*)[^\n]*\n(.*?)\n?[ \t]*```\s*$", re.S)
_MAX_PATHS = 6
_BROADCAST = {"extract", "_extract_into_tensor", "extract_into_tensor", "_extract"}
_SAME_ARG = {"expand_dims", "append_dims"}
_SHAPE = {"view", "reshape", "squeeze", "unsqueeze", "flatten", "expand_as", "expand", "long", "int", "item",
          "float", "double", "detach", "clone", "contiguous", "to", "type_as", "cpu", "cuda", "view_as"}
_RETURNS = [  # (function name pattern, the name code_latex reads the returned value as)
    (r"_?predict_x?start_from_(?:noise|eps)|_?predict_x0_from_eps", "x_start"),
    (r"_?predict_(?:noise|eps)_from_x?start|_?predict_eps_from_x0", "pred_noise"),
    (r"\w*beta_schedule\w*|betas_for_\w+", "betas"),
    (r"q_sample", "x_noisy"),
]
#: function -> its parameters, each with the name a bound lambda takes (diffusers' name of the same parameter)
_SIGNATURES = {"betas_for_alpha_bar": (("num_diffusion_timesteps", None), ("alpha_bar", "alpha_bar_fn"), ("max_beta", None))}
_NOISE_CALLS = {"randn", "randn_like", "normal", "standard_normal", "normal_like", "noise_like"}
_SCHEDULE_NAME = re.compile(r"(?:sqrt_|recip_?|one_minus_|log_)*(?:alpha|sigma|beta|abar|lambda|gamma|snr|lamb)\w*|[tshi]|eta")
_EPS_NAMES = re.compile(r"(?:eps|epsilon|noise|pred_noise|e_t|eps_theta|model_output)\w*")


def _unfence(text: str) -> Tuple[str, bool]:
    m = _FENCE.match(text)
    if m and m.group(1).lower() in ("", "python", "py", "python3", "pseudocode"):
        return m.group(2), True
    return text, False


class _Rewrite(ast.NodeTransformer):
    """The helpers and attributes of the module docstring rewritten to the values they hold."""

    def __init__(self, renamed):
        self.renamed = renamed

    def visit_Attribute(self, node: ast.Attribute):
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and base.id == "self":
            return ast.Name(node.attr, ast.Load())
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call):
        node = self.generic_visit(node)
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else (fn.id if isinstance(fn, ast.Name) else "")
        method_of = fn.value if isinstance(fn, ast.Attribute) and not (
            isinstance(fn.value, ast.Name) and fn.value.id in ("torch", "np", "numpy", "math", "jnp", "th", "F")) else None
        if name in _BROADCAST and len(node.args) >= 2 and method_of is None:
            return ast.Subscript(node.args[0], node.args[1], ast.Load())
        if name in _SAME_ARG and node.args and method_of is None:
            return node.args[0]
        if method_of is not None and name in _SHAPE:
            return method_of
        if name == "noise_like":
            return ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "randn_like", ast.Load()), [ast.Name("x", ast.Load())], [])
        if name in ("default", "array", "asarray", "tensor", "as_tensor") and node.args and method_of is None:
            return node.args[0]  # lucidrains' default(v, fallback) is v when given; np.array(v) holds v's values
        if name == "full" and len(node.args) >= 2 and method_of is None:
            return node.args[1]  # torch.full(shape, v): v broadcast (CompVis' a_t = torch.full(…, alphas[index]))
        if name in ("ones", "ones_like") and method_of is None:
            return ast.Constant(1)
        if name in ("zeros", "zeros_like") and method_of is None:
            return ast.Constant(0)
        if name == "logaddexp" and len(node.args) == 2:
            ex = [ast.Call(ast.Name("exp", ast.Load()), [a], []) for a in node.args]
            return ast.Call(ast.Name("log", ast.Load()), [ast.BinOp(ex[0], ast.Add(), ex[1])], [])
        if isinstance(fn, ast.Name) and fn.id in self.renamed:  # a bound parameter called by the code's own name
            node.func = ast.Name(self.renamed[fn.id], ast.Load())
        return node

    def visit_Name(self, node: ast.Name):
        if node.id == "temperature":  # CompVis' p_sample_ddim(temperature=1.): a scale of the noise, 1 by default
            return ast.Constant(1)
        return node


def _copy(node):
    return ast.parse(ast.unparse(node), mode="eval").body


def _stored(st: ast.stmt) -> Optional[ast.stmt]:
    """``register_buffer('n', v)`` / ``self.n = v`` as ``n = v``; a statement with no mathematics as None."""
    if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
        c = st.value
        fn = c.func
        name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
        if name == "register_buffer" and len(c.args) == 2 and isinstance(c.args[0], ast.Constant) \
                and isinstance(c.args[0].value, str) and c.args[0].value.isidentifier():
            return ast.Assign([ast.Name(c.args[0].value, ast.Store())], c.args[1], lineno=0)
        if name == "append" and isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) \
                and re.search(r"alpha|beta|sigma", fn.value.id):
            return st  # betas.append(v): code_calls.appended reads it
        if name in _SIGNATURES:
            return st  # (bound by _bind)
        return None
    if isinstance(st, ast.Expr):
        return None
    if isinstance(st, (ast.Assign, ast.AugAssign, ast.Return)):
        return st
    return None


def _paths(stmts: List[ast.stmt], depth: int = 0) -> List[Tuple[List[str], List[ast.stmt], bool]]:
    """(branch labels, straight-line statements, returned) of every path through ``stmts``."""
    paths: List[Tuple[List[str], List[ast.stmt], bool]] = [([], [], False)]
    for st in stmts:
        live = [p for p in paths if not p[2]]
        if not live:
            break
        if isinstance(st, (ast.FunctionDef, ast.For, ast.While, ast.With, ast.AsyncFor, ast.AsyncWith)) and depth < 8:
            subs = _paths(st.body, depth + 1)
            if isinstance(st, ast.FunctionDef):  # (its return ends the function, not the block)
                subs = [(lab, [ast.Expr(ast.Constant("def " + st.name))] + b, False) for lab, b, r in subs]
        elif isinstance(st, ast.If) and depth < 8:
            cond = ast.unparse(st.test)
            subs = [([f"if {cond}"] + lab, b, r) for lab, b, r in _paths(st.body, depth + 1)]
            if st.orelse:
                subs += [([f"not ({cond})"] + lab, b, r) for lab, b, r in _paths(st.orelse, depth + 1)]
            else:
                subs += [([f"not ({cond})"], [], False)] if any(isinstance(n, ast.Return) for n in ast.walk(st)) else []
        else:
            kept = _stored(st)
            subs = [([], [kept] if kept is not None else [], isinstance(st, ast.Return))]
        new = [p for p in paths if p[2]]
        for lab, body, _ in live:
            for slab, sbody, sret in subs:
                new.append((lab + slab, body + sbody, sret))
        paths = new[:_MAX_PATHS * 4]
    return paths


def _returned_name(func: Optional[str], value: ast.expr, assigned) -> Tuple[str, dict]:
    """(the name the returned value is read as, names of the value renamed to what it makes them) (module docstring)."""
    if func:
        for pat, name in _RETURNS:
            if re.fullmatch(pat, func):
                return name, {}
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
        from .code_solvers import output_is_data

        y = others.pop()
        data = output_is_data(value.left if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div) else value, y)
        if data is not None:
            return ("pred_noise", dict(at_t, **{y: "pred_xstart"})) if data else ("x_start", dict(at_t, **{y: "noise"}))
    return "result", {}


def _program(body: List[ast.stmt]) -> List[str]:
    """The straight-line programs of one path, as Python source code_latex reads (module docstring)."""
    func = None
    renamed = {}
    out: List[ast.stmt] = []
    noisy = {}  # names assigned from a noise draw (directly or through another such name)
    for st in body:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and str(st.value.value).startswith("def "):
            func = st.value.value[4:]
            continue
        if isinstance(st, ast.Return) and isinstance(st.value, ast.Call) and getattr(st.value.func, "id", "") in _SIGNATURES:
            st = ast.Expr(st.value)  # return betas_for_alpha_bar(…): the call binds the parameters
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and getattr(st.value.func, "id", "") in _SIGNATURES:
            for (param, as_name), arg in zip(_SIGNATURES[st.value.func.id], st.value.args):
                if isinstance(arg, ast.Lambda) and as_name:  # alpha_bar_fn = lambda t: …, called as alpha_bar(…)
                    renamed[param] = as_name
                    out.append(ast.Assign([ast.Name(as_name, ast.Store())], arg, lineno=0))
            continue
        st = _Rewrite(renamed).visit(ast.parse(ast.unparse(st)).body[0]) if not isinstance(st, ast.Return) else st
        if isinstance(st, ast.Return):
            if st.value is None:
                continue
            value = _Rewrite(renamed).visit(_copy(st.value))
            if isinstance(value, ast.Name):
                continue  # `return v`: the statement assigning v is the result
            name, renames = _returned_name(func, value, noisy)
            st = ast.Assign([ast.Name(name, ast.Store())], _Renames(renames).visit(value), lineno=0)
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            tgt = st.targets[0].id
            if isinstance(st.value, ast.Name) and st.value.id == tgt:
                continue  # x = x.long(): the same values
            calls = {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(st.value) if isinstance(n, ast.Call)}
            noisy[tgt] = bool(calls & _NOISE_CALLS) or any(isinstance(n, ast.Name) and noisy.get(n.id) for n in ast.walk(st.value))
        out.append(st)
    if not out:
        return []
    out = [_WeightFirst().visit(s_) for s_ in _step_times(_lookups(out))]
    # a function defined by a lambda and called by a later statement is its own formula (ᾱ(t) = …), the calls read
    # by the code base's name of it (code_vocab: diffusers' alpha_bar_fn)
    called = {getattr(n.func, "id", None) for s_ in out for n in ast.walk(s_) if isinstance(n, ast.Call)}
    alone = [s_ for s_ in out if isinstance(s_, ast.Assign) and isinstance(s_.value, ast.Lambda)
             and isinstance(s_.targets[0], ast.Name) and s_.targets[0].id in called]
    rest = [s_ for s_ in out if not any(s_ is a for a in alone)]
    named, rest = _named_quantities(rest)
    return [ast.unparse(ast.fix_missing_locations(a)) for a in alone] + named + (
        ["\n".join(ast.unparse(ast.fix_missing_locations(s_)) for s_ in rest)] if rest else [])


def _named_quantities(stmts: List[ast.stmt]) -> Tuple[List[str], List[ast.stmt]]:
    """(programs, the rest): a statement assigning a schedule quantity the code base names (code_vocab: σ_t, t̂_i, not
    a state or a prediction) and read by a later statement is that quantity's own formula (with the statements it
    reads), and the later statements read the name (EDM Alg. 2 line 5 t̂_i = t_i + γ t_i as diffusers' ``sigma_hat``;
    DDIM's σ_t(η) as lucidrains' ``sigma``)."""
    from .code_vocab import pick_vocab

    vocab = pick_vocab({n.id for s_ in stmts for n in ast.walk(s_) if isinstance(n, ast.Name)})
    if vocab is None:
        return [], stmts
    progs, rest, split = [], list(stmts), []
    for k, s_ in enumerate(stmts):
        if not (isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name)):
            continue
        name = s_.targets[0].id
        tex = vocab.names.get(name, "")
        if not tex or name in vocab.models or re.search(r"x|\\epsilon|D_|z", tex) or name in vocab.targets:
            continue
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


def _lookups(stmts: List[ast.stmt]) -> List[ast.stmt]:
    """Without the statements that look a name of the code base's vocabulary up in an array at the step
    (``a_t = alphas[index]``, ``alpha = alphas_cumprod[time]``): the name keeps the meaning its code base gives it
    (code_vocab), which is what the lookup computes."""
    from .code_vocab import pick_vocab

    ids = {n.id for s_ in stmts for n in ast.walk(s_) if isinstance(n, ast.Name)}
    vocab = pick_vocab(ids)
    if vocab is None:
        return stmts

    def lookup(s_):
        return isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name) \
            and s_.targets[0].id in vocab.names and isinstance(s_.value, ast.Subscript) \
            and isinstance(s_.value.value, ast.Name) and isinstance(s_.value.slice, ast.Name)
    return [s_ for s_ in stmts if not lookup(s_)]


def _step_times(stmts: List[ast.stmt]) -> List[ast.stmt]:
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
    return [_Renames(times).visit(s_) for s_ in kept] if times else stmts


class _Renames(ast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_Name(self, node: ast.Name):
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


class _WeightFirst(ast.NodeTransformer):
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


def _is_code_block(src: str, fenced: bool, mod: ast.Module) -> bool:
    if fenced:
        return True
    if any(not isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr)) for s in mod.body):
        return True  # def, if, for, return
    if any(isinstance(s, ast.Expr) and not (isinstance(s.value, ast.Call) and getattr(s.value.func, "attr", "") == "append")
           for s in mod.body) and len(mod.body) > 0 and "register_buffer" in src:
        return True
    if any(s.end_lineno != s.lineno for s in mod.body):
        return True  # a statement over several lines
    return bool(re.search(r"\bself\.|\bextract\(|_extract_into_tensor|expand_dims|append_dims|noise_like|\.view\(|\.reshape\(", src))


def code_programs(text: str) -> Optional[List[Tuple[str, str]]]:
    """(label, program) of each path through a pasted code block, or None when ``text`` is not such a block."""
    src, fenced = _unfence(text.strip())
    if "$" in src or re.search(r"\\[A-Za-z]", src):
        return None
    src = textwrap.dedent(src).strip("\n")
    try:
        mod = ast.parse(src)
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not mod.body or not _is_code_block(src, fenced, mod):
        return None
    out = []
    for labels, body, _ in _paths(mod.body)[:_MAX_PATHS]:
        try:
            progs = _program(body)
        except (RecursionError, ValueError, TypeError, AttributeError):
            progs = []
        out += [("; ".join(labels), prog) for prog in progs]
    return out or None


def judge_code_block(text: str, judge: Callable[[str], list]) -> Optional[list]:
    """The verdicts of a pasted code block (each path's program judged by ``judge``), or None when not one."""
    progs = code_programs(text)
    if progs is None:
        return None
    if len(progs) == 1 and progs[0][1] == text.strip():
        return None  # already straight-line code
    out = []
    for label, prog in progs:
        for v in judge(prog):
            v.notes = ["read from the code block" + (f" (branch {label})" if label else "") + f" as: {prog}"] + list(v.notes or [])
            if label and len(progs) > 1:
                v.location = (v.location + f" (branch {label})").strip()
            out.append(v)
    return out
