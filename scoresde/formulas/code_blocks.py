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

from .code_block_passes import (Renames, WeightFirst, array_schedules, in_place_steps, lookups, named_quantities,
                                returned_name, step_times)

__all__ = ["code_programs", "judge_code_block"]

_FENCE = re.compile(r"^\s*```[ \t]*([\w+-]*)[^\n]*\n(.*?)\n?[ \t]*```\s*$", re.S)
_MAX_PATHS = 6
_BROADCAST = {"extract", "_extract_into_tensor", "extract_into_tensor", "_extract"}
_SAME_ARG = {"expand_dims", "append_dims"}
_SHAPE = {"view", "reshape", "squeeze", "unsqueeze", "flatten", "expand_as", "expand", "long", "int", "item", "mean",
          "float", "double", "detach", "clone", "contiguous", "to", "type_as", "cpu", "cuda", "view_as"}
#: function -> its parameters, each with the name a bound lambda takes (diffusers' name of the same parameter)
_SIGNATURES = {"betas_for_alpha_bar": (("num_diffusion_timesteps", None), ("alpha_bar", "alpha_bar_fn"), ("max_beta", None))}
_NOISE_CALLS = {"randn", "randn_like", "normal", "standard_normal", "normal_like", "noise_like"}
_COUNT = re.compile(r"(?:num_|n_)?(?:diffusion_|train_)?timesteps|num_steps|n_steps|T")
_NETS = {"net", "model", "denoiser", "unet", "eps_model", "denoise_fn", "scorenet", "score_model", "apply_model"}
_CONDS = {"class_labels", "labels_cond", "y", "cond", "c", "context", "x_self_cond", "self_cond", "conditioning"}
_LOOP_INDICES = {"i", "j", "k", "c", "n", "idx", "index", "step", "T", "N"}
_SDE_PIECES = {"drift", "diffusion", "f", "G", "g", "score", "rev_drift"}
_OUT_KEYS = {"mean": "model_mean", "variance": "model_variance", "log_variance": "model_log_variance",
             "pred_xstart": "pred_xstart"}
#: the code bases' own functions with their formulas (lucidrains' and improved/guided-diffusion's GaussianDiffusion:
#: q_sample is Ho et al. 2020's Eq. 4, the predictions convert by its Eq. 15 and the inverse)
_FUNCTIONS = {
    "q_sample": (("x_start", "t", "noise"), "sqrt_alphas_cumprod[t] * x_start + sqrt_one_minus_alphas_cumprod[t] * noise"),
    "predict_start_from_noise": (("x_t", "t", "noise"), "sqrt_recip_alphas_cumprod[t] * x_t - sqrt_recipm1_alphas_cumprod[t] * noise"),
    "predict_xstart_from_eps": (("x_t", "t", "eps"), "sqrt_recip_alphas_cumprod[t] * x_t - sqrt_recipm1_alphas_cumprod[t] * eps"),
    "predict_noise_from_start": (("x_t", "t", "x0"), "(sqrt_recip_alphas_cumprod[t] * x_t - x0) / sqrt_recipm1_alphas_cumprod[t]"),
    "predict_eps_from_xstart": (("x_t", "t", "pred_xstart"),
                                "(sqrt_recip_alphas_cumprod[t] * x_t - pred_xstart) / sqrt_recipm1_alphas_cumprod[t]"),
}


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
        if name in _NETS and len(node.args) > 2 and all(isinstance(a, ast.Name) and a.id in _CONDS for a in node.args[2:]):
            node.args = node.args[:2]  # net(x, t, class_labels): the class a conditional model is given, D_θ(x; σ)
            node.keywords = []
        if name in _BROADCAST and len(node.args) >= 2 and method_of is None:
            return ast.Subscript(node.args[0], node.args[1], ast.Load())
        if name in _SAME_ARG and node.args and method_of is None:
            return node.args[0]
        if method_of is not None and name in _SHAPE:
            return method_of
        if name == "noise_like":
            return ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "randn_like", ast.Load()), [ast.Name("x", ast.Load())], [])
        if name == "get" and method_of is not None and getattr(method_of, "id", "") in ("kwargs", "kw", "config") \
                and node.args and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).isidentifier():
            return ast.Name(node.args[0].value, ast.Load())  # kwargs.get("eta", 0): the parameter eta
        if name in ("default", "array", "asarray", "tensor", "as_tensor") and node.args and method_of is None:
            return node.args[0]  # lucidrains' default(v, fallback) is v when given; np.array(v) holds v's values
        if name == "full" and len(node.args) >= 2 and method_of is None:
            return node.args[1]  # torch.full(shape, v): v broadcast (CompVis' a_t = torch.full(…, alphas[index]))
        if name in ("ones", "ones_like") and method_of is None:
            return ast.Constant(1)
        if name in ("zeros", "zeros_like") and method_of is None:
            return ast.Constant(0)
        if name.lstrip("_") in _FUNCTIONS and method_of is None:
            params, body = _FUNCTIONS[name.lstrip("_")]
            args = dict(zip(params, node.args))
            args.update({k.arg: k.value for k in node.keywords if k.arg in params})
            if len(args) == len(params):
                return Renames({}, args).visit(ast.parse(body, mode="eval").body)
        if name == "logaddexp" and len(node.args) == 2:
            ex = [ast.Call(ast.Name("exp", ast.Load()), [a], []) for a in node.args]
            return ast.Call(ast.Name("log", ast.Load()), [ast.BinOp(ex[0], ast.Add(), ex[1])], [])
        if isinstance(fn, ast.Name) and fn.id in self.renamed:  # a bound parameter called by the code's own name
            node.func = ast.Name(self.renamed[fn.id], ast.Load())
        return node

    def visit_Compare(self, node: ast.Compare):
        # (t != 0), (t > 0): the mask of the general step (guided-diffusion's nonzero_mask), 1; its 0 at the last step
        # is the boundary case of Ho et al. 2020's Algorithm 2 (z = 0 at t = 1)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.NotEq, ast.Gt)) and isinstance(node.left, ast.Name) \
                and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value in (0, 1):
            return ast.Constant(1)
        return self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript):
        # the dictionary guided-diffusion's p_mean_variance returns (out["mean"], out["log_variance"], …)
        if isinstance(node.value, ast.Name) and node.value.id in ("out", "outs", "output", "model_out") \
                and isinstance(node.slice, ast.Constant) and node.slice.value in _OUT_KEYS:
            return ast.Name(_OUT_KEYS[node.slice.value], ast.Load())
        return self.generic_visit(node)

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
    if isinstance(st, ast.Assign) and (isinstance(st.value, (ast.List, ast.ListComp, ast.Tuple, ast.Dict)) or isinstance(
            st.value, ast.BinOp) and isinstance(st.value.left, ast.List)):
        return None  # xs = [x], seq_next = [-1] + list(…): the loop's bookkeeping
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
                subs = [(lab, [ast.Expr(ast.Constant("def " + st.name))] + _parameters(st) + b, False) for lab, b, r in subs]
        elif isinstance(st, ast.If) and depth < 8:
            cond = ast.unparse(st.test)
            subs = [([f"if {cond}"] + lab, b, r) for lab, b, r in _paths(st.body, depth + 1)]
            if st.orelse:
                subs += [([f"not ({cond})"] + lab, b, r) for lab, b, r in _paths(st.orelse, depth + 1)]
            else:
                subs += [([f"not ({cond})"], [], False)] if any(isinstance(n, ast.Return) for n in ast.walk(st)) else []
        else:
            kept = _stored(st)
            if isinstance(kept, ast.Assign) and len(kept.targets) == 1 and isinstance(kept.targets[0], ast.Tuple) \
                    and isinstance(kept.value, ast.Tuple) and len(kept.targets[0].elts) == len(kept.value.elts):
                # h, h_0 = lambda_t - lambda_s0, lambda_s0 - lambda_s1: one assignment per name, in order
                subs = [([], [ast.Assign([t_], v_, lineno=0) for t_, v_ in zip(kept.targets[0].elts, kept.value.elts)], False)]
            else:
                subs = [([], [kept] if kept is not None else [], isinstance(st, ast.Return))]
        new = [p for p in paths if p[2]]
        for lab, body, _ in live:
            for slab, sbody, sret in subs:
                new.append((lab + slab, body + sbody, sret))
        paths = new[:_MAX_PATHS * 4]
    return paths


def _parameters(fn: ast.FunctionDef) -> List[ast.stmt]:
    """A function's parameters as the block reads them: a numeric default is the value the function runs with
    (lucidrains' cosine_beta_schedule(timesteps, s = 0.008)); the count of diffusion steps (``timesteps``,
    ``num_diffusion_timesteps``) is T, never the step index t."""
    args = fn.args.args
    defaults = dict(zip([a.arg for a in args[len(args) - len(fn.args.defaults):]], fn.args.defaults))
    out: List[ast.stmt] = []
    for a in args:
        d = defaults.get(a.arg)
        if isinstance(d, ast.Constant) and isinstance(d.value, (int, float)) and not isinstance(d.value, bool):
            out.append(ast.Assign([ast.Name(a.arg, ast.Store())], d, lineno=0))
        elif _COUNT.fullmatch(a.arg):
            out.append(ast.Assign([ast.Name(a.arg, ast.Store())], ast.Name("T", ast.Load()), lineno=0))
    for st in out:
        st.parameter = True  # (a parameter no statement reads is no formula)
    return out


def _program(body: List[ast.stmt]) -> List[str]:
    """The straight-line programs of one path, as Python source code_latex reads (module docstring)."""
    func = None
    params_seen: List[ast.Assign] = []
    renamed = {}
    out: List[ast.stmt] = []
    noisy = {}  # names assigned from a noise draw (directly or through another such name)
    for st in body:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and str(st.value.value).startswith("def "):
            func = st.value.value[4:]
            continue
        if getattr(st, "parameter", False):
            params_seen.append(st)
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
            if isinstance(value, ast.Name) or isinstance(value, ast.Tuple) and all(isinstance(e, ast.Name) for e in value.elts):
                continue  # `return v` (or v, w): the statements assigning them are the results
            name, renames = returned_name(func, value, noisy)
            st = ast.Assign([ast.Name(name, ast.Store())], Renames(renames).visit(value), lineno=0)
        if isinstance(st, ast.Assign) and _opaque(st.value, {n.id for t_ in st.targets for n in ast.walk(t_) if isinstance(n, ast.Name)}):
            continue  # out = self.p_mean_variance(…), t = randint(…): its targets keep the meaning of their names
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            tgt = st.targets[0].id
            if isinstance(st.value, ast.Name) and st.value.id == tgt:
                continue  # x = x.long(): the same values
            calls = {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(st.value) if isinstance(n, ast.Call)}
            noisy[tgt] = bool(calls & _NOISE_CALLS) or any(isinstance(n, ast.Name) and noisy.get(n.id) for n in ast.walk(st.value))
        out.append(st)
    if not out:
        return []
    out = [WeightFirst().visit(s_) for s_ in step_times(lookups(_carried(out)))]
    progs: List[str] = []
    for seg in in_place_steps(out):
        progs += [p_ for p_ in _passes(seg, params_seen) if p_ not in progs]
    return progs


def _carried(stmts: List[ast.stmt]) -> List[ast.stmt]:
    """Without ``x_cur = x_next`` where ``x_next`` is assigned later: the loop carries the last step's state into this
    one (Karras et al.'s generate loop), and the name read is the current state."""
    out = []
    for k, s_ in enumerate(stmts):
        if isinstance(s_, ast.Assign) and len(s_.targets) == 1 and isinstance(s_.targets[0], ast.Name) \
                and isinstance(s_.value, ast.Name) and any(
                    isinstance(l_, ast.Assign) and any(isinstance(t_, ast.Name) and t_.id == s_.value.id for t_ in l_.targets)
                    for l_ in stmts[k + 1:]):
            continue
        out.append(s_)
    return out


def _passes(out: List[ast.stmt], params_seen) -> List[str]:
    """The programs of one straight-line segment (the passes of code_block_passes, in order)."""
    # a function defined by a lambda and called by a later statement is its own formula (ᾱ(t) = …), the calls read
    # by the code base's name of it (code_vocab: diffusers' alpha_bar_fn)
    called = {getattr(n.func, "id", None) for s_ in out for n in ast.walk(s_) if isinstance(n, ast.Call)}
    alone = [s_ for s_ in out if isinstance(s_, ast.Assign) and isinstance(s_.value, ast.Lambda)
             and isinstance(s_.targets[0], ast.Name) and s_.targets[0].id in called]
    rest = [s_ for s_ in out if not any(s_ is a for a in alone)]
    arrays, rest = array_schedules(rest)
    named, rest = named_quantities(rest)
    params = {p_.targets[0].id for p_ in params_seen} | {  # and a step's index from the loop's (next_t = ones(n) * j)
        s_.targets[0].id for s_ in rest if isinstance(s_, ast.Assign) and isinstance(s_.targets[0], ast.Name)
        and not any(isinstance(n, ast.Call) for n in ast.walk(s_.value))
        and {n.id for n in ast.walk(s_.value) if isinstance(n, ast.Name)} <= _LOOP_INDICES}
    rest = [s_ for s_ in rest if not (isinstance(s_, ast.Assign) and isinstance(s_.targets[0], ast.Name)
                                       and s_.targets[0].id in params and len(rest) > 1 and not any(
                                           isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id == s_.targets[0].id
                                           for o_ in rest if o_ is not s_ for n in ast.walk(o_)))]  # an unread parameter
    return [ast.unparse(ast.fix_missing_locations(a)) for a in alone] + arrays + named + (
        ["\n".join(ast.unparse(ast.fix_missing_locations(s_)) for s_ in rest)] if rest else [])


def _opaque(value: ast.AST, names=frozenset()) -> bool:
    """A call of a function the block does not define and code_latex does not read (a method of the model or the
    scheduler: ``p_mean_variance``, ``sde``, ``_get_variance``), or a draw of the step index (``randint``): the
    statement computes nothing the formula states, and the names it assigns are read by their meaning."""
    from .code_latex import code_to_latex

    if not isinstance(value, ast.Call) or not isinstance(value.func, (ast.Name, ast.Attribute)):
        return False
    if names & _SDE_PIECES:
        return False  # drift, diffusion = rsde.sde(x, t): forward or reverse is the object's, not the names'
    name = value.func.attr if isinstance(value.func, ast.Attribute) else value.func.id
    if name in ("randint", "rand", "uniform", "randperm", "choice"):
        return True
    return code_to_latex("tmp_ = " + ast.unparse(value)) is None


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
