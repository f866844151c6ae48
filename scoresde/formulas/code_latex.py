"""Python code as people paste it for a formula -> the LaTeX the reader parses.

A cell written as Python (``x_t = alphas_cumprod[t].sqrt() * x_0 + (1 - alphas_cumprod[t]).sqrt() * noise``,
``std = torch.sqrt(1. - torch.exp(2. * log_mean_coeff))``) is read with :mod:`ast`, i.e. by Python's own grammar,
so every construct of the language is read as Python reads it: method calls (``e.sqrt()``), library prefixes
(``torch.``, ``np.``, ``F.``), keyword arguments (``dim=0``), ``**`` with any exponent, floats ``1.``/``1e-4``
(kept exact), indexing ``a[t - 1]`` (a subscript), starred arguments, conditional expressions (the general
branch). The rules, each general:

* a statement list is straight-line code: a name assigned and read by a later statement is an intermediate
  and is substituted there (its value is what the later statement means); the statements whose result nothing
  reads are the formulas judged;
* names follow the compositional naming of Ho et al.'s ``diffusion_utils`` (and the code derived from it:
  improved/guided-diffusion, the Annotated Diffusion Model): ``alphas_cumprod`` is ᾱ, ``_prev`` the previous
  step, prefixes ``sqrt_``, ``recip_``, ``one_minus_``, ``log_`` apply √·, 1/·, 1 − ·, log ·; a trailing
  index ``_t``/``_s``/``_i`` is a subscript; ``sigma2`` is σ²; ``x_start``/``x_noisy`` are x_0/x_t;
  in Song et al.'s ``sde_lib``, ``beta_0``/``beta_1`` are β_min/β_max;
* library functions: ``sqrt exp log log1p expm1 cos sin tan arctan square abs``; ``randn``/``randn_like``/
  ``normal`` draw standard normal noise z; ``model``/``eps_model``/``net`` is ε_θ and ``score``/``score_fn``
  s_θ; ``mse_loss(a, b)`` is ‖a − b‖²; ``sum(v ** 2)`` is ‖v‖²; ``cumprod(E)`` is ∏_{s=1}^{t} E_s and
  ``linspace(a, b, n)`` the n evenly spaced values a + (t − 1)(b − a)/(n − 1), t = 1 … n (elementwise:
  the array on the left is read at index t); ``clip``/``clamp(x, lo, hi)`` is min(x, hi).
"""
from __future__ import annotations

import ast
import re
from fractions import Fraction
from typing import Dict, List, Optional

from .code_names import BASES, CodeError, in_place_update, is_array, is_step_scalar, name_to_latex
from .code_calls import appended, current_step_names, more_calls, sampler_eps, sequence_index
from .code_spelled import spelled_gradients
from .code_interface import interface_pairs, posterior_term, prior_logp
from .code_vocab import CodeVocab, is_model_step, pick_vocab

__all__ = ["code_to_latex", "name_to_latex"]

_LIB = {"torch", "np", "numpy", "math", "jnp", "tf", "F", "th", "nn", "random", "jax", "scipy", "special"}
_FUNCS = {"sqrt": r"\sqrt{%s}", "exp": r"\exp\left(%s\right)", "log": r"\log\left(%s\right)",
          "log1p": r"\log\left(1 + %s\right)", "expm1": r"\left(\exp\left(%s\right) - 1\right)",
          "cos": r"\cos\left(%s\right)", "sin": r"\sin\left(%s\right)", "tan": r"\tan\left(%s\right)",
          "arctan": r"\arctan\left(%s\right)", "atan": r"\arctan\left(%s\right)", "square": r"\left(%s\right)^{2}",
          "abs": r"\left|%s\right|", "rsqrt": r"\frac{1}{\sqrt{%s}}", "reciprocal": r"\frac{1}{%s}",
          "sigmoid": r"\mathrm{sigmoid}\left(%s\right)", "softplus": r"\log\left(1 + \exp\left(%s\right)\right)"}
#: methods that return the same values (a dtype, device or autograd change)
_SAME = {"float", "double", "half", "detach", "clone", "contiguous", "to", "type_as", "cpu", "cuda"}
_NOISE = {"randn", "randn_like", "normal", "standard_normal", "normal_like"}
_EPS_NETS = {"model", "eps_model", "net", "unet", "denoise_fn", "eps_theta", "noise_pred", "epsilon_theta"}
_SCORE_NETS = {"score", "score_fn", "score_model", "s_theta"}


def _number(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CodeError(f"cannot read the constant {v!r}")
    q = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    if q.denominator == 1:
        return str(q.numerator)
    return r"\frac{%d}{%d}" % (q.numerator, q.denominator) if q > 0 else r"\left(-\frac{%d}{%d}\right)" % (-q.numerator, q.denominator)


class _Tex:
    """Expression nodes -> LaTeX (every compound operand bracketed, so precedence is explicit)."""

    def __init__(self, song_code: bool, index_var: Optional[str] = None, step: str = "t",
                 vocab: Optional[CodeVocab] = None):
        self.song_code = song_code
        self.step = step
        self.vocab = vocab  # the code base's own names (code_vocab.py), read before the compositional naming
        self.names = dict(vocab.names) if vocab is not None else {}
        self.index_var = index_var  # inside cumprod(E): unindexed arrays are read at this index
        self.seq_index = "t"  # the index of linspace's values (noise levels: i, code_to_latex)
        self.step_scalars = False  # in a state's in-place update: unindexed alpha, beta, alpha_hat are the step's

    def __call__(self, n: ast.AST) -> str:
        meth = getattr(self, "_" + type(n).__name__, None)
        if meth is None:
            raise CodeError(f"cannot read {type(n).__name__} in code")
        return meth(n)

    def wrap(self, n: ast.AST) -> str:
        s = self(n)
        simple = isinstance(n, (ast.Name, ast.Subscript, ast.Call, ast.Attribute)) or (isinstance(n, ast.Constant) and "-" not in s)
        return s if simple else r"\left(" + s + r"\right)"

    def _Constant(self, n: ast.Constant) -> str:
        return _number(n.value)

    def _Name(self, n: ast.Name) -> str:
        if n.id in self.names:  # empty without a vocabulary
            return self.names[n.id]
        if self.step != "t" and n.id in ("x", "t"):
            return f"{n.id}_{{{self.step}}}"  # x, t beside t_next: the current step's (Karras et al.'s x_cur, t_cur)
        if self.index_var is not None and (is_array(n.id) or is_step_scalar(n.id)):
            return name_to_latex(n.id, self.index_var, song_code=self.song_code, step=self.step)
        if self.step_scalars and is_step_scalar(n.id):
            return name_to_latex(n.id, self.step, song_code=self.song_code, step=self.step)
        return name_to_latex(n.id, song_code=self.song_code, step=self.step)

    def _Attribute(self, n: ast.Attribute) -> str:
        if isinstance(n.value, ast.Name) and n.value.id in _LIB:
            if n.attr == "pi":
                return r"\pi"
            return name_to_latex(n.attr, song_code=self.song_code)
        if isinstance(n.value, ast.Name) and n.value.id == "self":  # self.N, self.beta_0: the object's parameter
            return name_to_latex(n.attr, song_code=self.song_code)
        raise CodeError(f"cannot read the attribute .{n.attr}")

    def _Subscript(self, n: ast.Subscript) -> str:
        idx = ast.unparse(n.slice).replace(" ", "")
        if self.vocab is not None:
            key = ast.unparse(n).replace("'", '"')
            if key in self.vocab.names:  # p_mean_var["mean"]: an entry of the code's own dictionary
                return self.vocab.names[key]
            if isinstance(n.value, ast.Name) and n.value.id in self.vocab.arrays and re.fullmatch(r"[A-Za-z0-9_+\-]+", idx):
                return f"{self.vocab.arrays[n.value.id]}_{{{idx}}}"
            if idx in self.vocab.names and re.fullmatch(r"\w+", idx) and isinstance(n.value, ast.Name):
                idx = self.vocab.names[idx]  # alphas_cumprod[timesteps]: the code's name of the step index
                return name_to_latex(n.value.id, idx, song_code=self.song_code, step=self.step)
        if re.fullmatch(r"\(?[:,.]*(?:None[:,.]*)*\)?", idx):  # a[:, None, None]: broadcasting, the array itself
            return self.wrap(n.value)  # bracketed when an inlined intermediate made it a sum
        if not isinstance(n.value, ast.Name):
            raise CodeError("cannot read an index of an expression")
        if not re.fullmatch(r"[A-Za-z0-9_+\-]+", idx):
            raise CodeError(f"cannot read the index [{idx}]")
        return name_to_latex(n.value.id, idx, song_code=self.song_code, step=self.step)

    def _UnaryOp(self, n: ast.UnaryOp) -> str:
        if isinstance(n.op, ast.USub):
            return "-" + self.wrap(n.operand)
        if isinstance(n.op, ast.UAdd):
            return self(n.operand)
        raise CodeError("cannot read this unary operator")

    def _BinOp(self, n: ast.BinOp) -> str:
        op = n.op
        if isinstance(op, (ast.Add, ast.Sub)):
            right = self(n.right)
            if isinstance(op, ast.Sub) and isinstance(n.right, ast.BinOp) and isinstance(n.right.op, (ast.Add, ast.Sub)):
                right = r"\left(" + right + r"\right)"
            return self(n.left) + (" + " if isinstance(op, ast.Add) else " - ") + right
        if isinstance(op, ast.Mult):
            left, right = self.wrap(n.left), self.wrap(n.right)
            if _is_norm(left) and not _is_norm(right):  # ‖v‖² · w: a weight, written first as the papers do
                left, right = right, left
            return left + r" \cdot " + right
        if isinstance(op, ast.Div):
            return r"\frac{" + self(n.left) + "}{" + self(n.right) + "}"
        if isinstance(op, ast.Pow):
            return "{" + self.wrap(n.left) + "}^{" + self(n.right) + "}"
        raise CodeError(f"cannot read the operator {type(op).__name__}")

    def _IfExp(self, n: ast.IfExp) -> str:  # `z if t > 0 else 0`: the general branch
        return self(n.body)

    def _Call(self, n: ast.Call) -> str:
        fn = n.func
        method_of = None
        if isinstance(fn, ast.Name):
            name = fn.id
        elif isinstance(fn, ast.Attribute):
            name = fn.attr
            inner = fn.value
            while isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and inner.value.id in _LIB:
                inner = inner.value  # np.random.randn, torch.nn.functional.mse_loss
            if not (isinstance(inner, ast.Name) and (inner.id in _LIB or inner.id == "self")) and not isinstance(inner, ast.Attribute):
                method_of = fn.value  # e.sqrt(), (1 - a).sqrt(), x.pow(2)
        else:
            raise CodeError("cannot read this call")
        args = [a for a in n.args if not isinstance(a, ast.Starred)]
        if method_of is not None and name in _SAME:  # x.float(), x.detach(): the same values
            return self(method_of)
        if self.vocab is not None and name in self.vocab.calls and method_of is None:
            return self.vocab.calls[name].format(*(self(a) for a in args))
        more = more_calls(self, n, name, method_of, args)  # code_calls.py
        if more is not None:
            return more
        if name in _NOISE:
            return "z"
        if name in ("zeros_like", "ones_like"):
            return "0" if name == "zeros_like" else "1"
        if method_of is not None:
            if name == "sum" and not args and isinstance(method_of, ast.BinOp) and isinstance(method_of.op, ast.Pow) \
                    and isinstance(method_of.right, ast.Constant) and method_of.right.value == 2:
                return r"\left\|" + self(method_of.left) + r"\right\|^2"  # (v ** 2).sum(): ‖v‖², as sum(v ** 2)
            if name in _FUNCS and not args:
                return _FUNCS[name] % self(method_of)
            if name == "pow" and len(args) == 1:
                return "{" + self.wrap(method_of) + "}^{" + self(args[0]) + "}"
            raise CodeError(f"cannot read the method .{name}()")
        if name in _FUNCS and len(args) == 1:
            return _FUNCS[name] % self(args[0])
        if name in ("pow", "power") and len(args) == 2:
            return "{" + self.wrap(args[0]) + "}^{" + self(args[1]) + "}"
        if name in ("D", "denoiser") or name == "net" and self.step == "i":
            # EDM's denoiser D_θ(x; σ) (Karras et al. 2022, Eq. 2; their code calls it ``net`` beside t_cur/t_next)
            return r"D_\theta\left(" + "; ".join(self(a) for a in args) + r"\right)"
        if name in _EPS_NETS:
            return r"\epsilon_\theta\left(" + ", ".join(self(a) for a in args) + r"\right)"
        if name in _SCORE_NETS:
            return r"s_\theta\left(" + ", ".join(self(a) for a in args) + r"\right)"
        if name in ("mse_loss",) and len(args) == 2:
            return r"\left\|" + self(args[0]) + " - " + self.wrap(args[1]) + r"\right\|^2"
        if name == "sum" and len(args) == 1 and isinstance(args[0], ast.BinOp) and isinstance(args[0].op, ast.Pow) \
                and isinstance(args[0].right, ast.Constant) and args[0].right.value == 2:
            return r"\left\|" + self(args[0].left) + r"\right\|^2"
        if name == "sum" and len(args) == 1 and _calls(args[0], ("square",)) and len(args[0].args) == 1:
            return r"\left\|" + self(args[0].args[0]) + r"\right\|^2"  # sum(square(v)) over the pixels
        if name == "cumprod" and len(args) == 1:
            return r"\prod_{s=1}^{t} " + r"\left(" + _Tex(self.song_code, "s")(args[0]) + r"\right)"
        if name == "cumsum" and len(args) == 1:
            return r"\sum_{s=1}^{t} " + r"\left(" + _Tex(self.song_code, "s")(args[0]) + r"\right)"
        if name in ("clip", "clamp", "minimum") and len(args) >= 2:
            hi = args[-1] if name != "minimum" else args[1]
            return r"\min\left(" + self(args[0]) + ", " + self(hi) + r"\right)"
        if (len(name) == 1 and name.isalpha()) or name in BASES:  # f(x, t), g(t), sigma(t): a function of the formula
            head = name if len(name) == 1 else BASES[name]
            return head + r"\left(" + ", ".join(self(a) for a in args) + r"\right)"
        raise CodeError(f"cannot read the call {name}()")


_ELEMENTWISE = ("cumprod", "cumsum", "linspace")


def _is_norm(tex: str) -> bool:
    """Whether LaTeX is one squared norm ‖·‖² (a scalar: any weight multiplying it commutes)."""
    return tex.startswith(r"\left\|") and tex.endswith(r"\right\|^2") and tex.count(r"\left\|") == 1


def _calls(node: ast.AST, names) -> bool:
    f = node.func if isinstance(node, ast.Call) else None
    return f is not None and (getattr(f, "attr", None) in names or getattr(f, "id", None) in names)


def code_to_latex(text: str) -> Optional[str]:
    """The LaTeX equations (joined by ``;``) of a cell written as Python code, or None when it is not Python this
    reader translates. Intermediates are substituted (module docstring)."""
    src = text.strip().rstrip(";")
    if not src or "\\" in src or "$" in src:
        return None
    try:
        mod = ast.parse(src)
    except (SyntaxError, ValueError):
        return None
    if {"eps", "noise"} <= {n.id for n in ast.walk(mod) if isinstance(n, ast.Name)}:
        # eps beside noise: the model's prediction and the fresh draw (DDIM's reference sampler and diffusers'
        # DDIMScheduler: eps = model(x, t), noise = randn_like(x)), never one noise twice
        mod = _Rename("eps", "eps_theta").visit(mod)
    stmts = mod.body
    if not stmts or not all(isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr)) for s in stmts):
        return None
    used = {n.id for n in ast.walk(mod) if isinstance(n, ast.Name)}
    if used & {"eps", "epsilon"} and ("noise" in used or any(_calls(n, _NOISE) for n in ast.walk(mod))):
        # two noises in one cell: ``eps`` is the network's prediction and ``noise`` the fresh draw (DDIM's and
        # diffusers' samplers: eps = model(x, t); noise = torch.randn_like(x)), ε_θ and z
        for old_, new_ in (("eps", "eps_theta"), ("epsilon", "eps_theta"), ("noise", "z")):
            mod = _Rename(old_, new_).visit(mod)
        stmts = mod.body
    mod = sampler_eps(mod, _Rename)  # eps in a sampler's update is ε_θ (code_calls.py)
    stmts = mod.body
    step = "i" if re.search(r"\b(?:t|sigma)_(?:next|cur)\b", src) else "t"  # times as variables: steps count in i
    song = bool(re.search(r"\bbeta_[01]\b", src)) and bool(re.search(r"\bbeta_1\s*-\s*beta_0\b|\bbeta_0\b.*\bt\b", src))
    names_used = {n.id for n in ast.walk(mod) if isinstance(n, ast.Name)}
    mod = current_step_names(mod, names_used, _Rename)  # alpha_bar beside alpha_bar_prev (code_calls.py)
    mod = spelled_gradients(mod, names_used, _Rename)  # grad_log_p_y_given_x: the classifier's gradient (code_spelled.py)
    stmts = mod.body
    names_used = {n.id for n in ast.walk(mod) if isinstance(n, ast.Name)}
    vocab = pick_vocab(names_used | {n.attr for n in ast.walk(mod) if isinstance(n, ast.Attribute)})
    env: Dict[str, ast.expr] = {}
    outs: List[tuple] = []  # (target name, lhs LaTeX, value node)
    dt_sign = 0
    assigned = {t.id for s_ in stmts if isinstance(s_, ast.Assign) for t in s_.targets if isinstance(t, ast.Name)}
    if "dt" not in assigned and (re.search(r"sqrt\(\s*-\s*dt\s*\)", src) or vocab is not None
                                 and vocab.name == "score_sde" and {"score", "dt"} <= names_used and "x" in assigned):
        # dt used but not defined, its noise written √(−dt), or score_sde's in-place update with the score: the step is
        # back in time, dt = −Δt (Song et al. 2021's EulerMaruyamaPredictor, which sets dt = −1/N)
        dt_sign = -1
        env["dt"] = ast.UnaryOp(ast.USub(), ast.Name("Delta_t", ast.Load()))
    for st in stmts:
        if appended(st) is not None:  # betas.append(v): the array's element at the step (code_calls.py)
            target, value = appended(st)
        elif isinstance(st, ast.Expr):
            value, target = st.value, None
        elif isinstance(st, ast.AugAssign):
            if not isinstance(st.target, ast.Name):
                return None
            target = st.target
            value = ast.BinOp(ast.Name(st.target.id, ast.Load()), st.op, st.value)
        else:
            if len(st.targets) != 1 or not isinstance(st.targets[0], (ast.Name, ast.Subscript)):
                return None
            target, value = st.targets[0], st.value
        name = target.id if isinstance(target, ast.Name) else None
        if name == "dt" and not any(isinstance(n, ast.Name) for n in ast.walk(value)) or name == "dt" and dt_sign == 0 \
                and isinstance(value, (ast.UnaryOp, ast.BinOp)) and all(isinstance(n, ast.Name) and n.id in ("N", "T") for n in ast.walk(value) if isinstance(n, ast.Name)):
            # a time step dt = ±1/N: the step Δt (> 0), and the update of the state a step forward or back in time
            neg = isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) or isinstance(value, ast.BinOp) \
                and isinstance(value.left, ast.UnaryOp) and isinstance(value.left.op, ast.USub)
            dt_sign = -1 if neg else 1
            env[name] = ast.UnaryOp(ast.USub(), ast.Name("Delta_t", ast.Load())) if neg else ast.Name("Delta_t", ast.Load())
            continue
        value = _Inline(env).visit(ast.parse(ast.unparse(value), mode="eval").body)
        if name is not None:
            env[name] = value
            outs = [o for o in outs if o[0] != name]
        outs.append((name, target, value))
    read = set()
    for k, st in enumerate(stmts):
        for later in stmts[k + 1:]:
            val = later.value
            read |= {n.id for n in ast.walk(val) if isinstance(n, ast.Name)}
    finals = [o for o in outs if o[0] is None or o[0] not in read or o is outs[-1]]
    finals = interface_pairs(finals, env)
    try:
        eqs = []
        for name, target, value in finals:
            if isinstance(value, tuple):  # an interface pair (code_interface.py)
                parts = [_Tex(song, step=step, vocab=vocab)(v_) for v_ in value if v_ is not None]
                if name in ("drift+diffusion", "rev_drift+diffusion"):
                    noise = "dw" if name == "drift+diffusion" else r"d\bar{w}"
                    eqs.append(r"dx = \left(%s\right) dt + \left(%s\right) %s" % (parts[0], parts[1], noise))
                elif name == "rev_drift":
                    eqs.append(r"dx = \left(%s\right) dt" % parts[0])
                else:
                    data = [_Rename("x", "x_data").visit(ast.parse(ast.unparse(v), mode="eval").body) for v in value]
                    if name == "mean":  # the kernel's mean alone (code_interface.py)
                        eqs.append(r"\mathbb{E}\left[x(t) \mid x(0)\right] = %s" % _Tex(song, step=step, vocab=vocab)(data[0]))
                        continue
                    eqs.append(r"x(t) \sim \mathcal{N}\left(%s, {\left(%s\right)}^{2} I\right)" % (_Tex(song, step=step, vocab=vocab)(data[0]), _Tex(song, step=step, vocab=vocab)(data[1])))
                continue
            # a statement on whole schedule arrays (no index written) holds elementwise: each array read at t
            whole = not any(isinstance(n, ast.Subscript) for n in ast.walk(value)) and not _calls(value, _ELEMENTWISE) \
                and any(isinstance(n, ast.Name) and is_array(n.id) for n in ast.walk(value))
            tex = _Tex(song, "t" if whole else None, step, vocab)
            tex.step_scalars = vocab is None and in_place_update(target, value)
            seq = any(_calls(n_, _ELEMENTWISE) for n_ in ast.walk(value))  # an array defined elementwise (.exp() of one too)
            if seq:
                sequence_index(tex, target, value)  # noise levels σ_i, sde_lib's discrete_* (code_calls.py)
            if vocab is not None and vocab.churned and vocab.churned[0] in names_used \
                    and not (vocab.noise_update and name in vocab.names and not is_model_step(vocab, value)):
                tex.names.update(vocab.churned[1])  # the state and model at the churned level σ̂ (code_vocab.py)
            adapted_lhs = None
            if vocab is not None and vocab.adapt is not None:  # names the statement's own structure fixes
                over, adapted_lhs = vocab.adapt(value, name)
                tex.names.update(over)
            for ctx_name, ctx in (vocab.contexts if vocab is not None else ()):
                if name == ctx_name:
                    tex.names.update(ctx)
            if isinstance(value, ast.Lambda) and isinstance(target, ast.Name) and len(value.args.args) == 1:
                # alpha_bar_fn = lambda t: …: a function of the schedule, ᾱ(t) = …
                arg = value.args.args[0].arg
                base = re.sub(r"_(?:fn|func|function)$", "", target.id)
                eqs.append(r"%s\left(%s\right) = %s" % (name_to_latex(base, song_code=song), arg, tex(value.body)))
                continue
            rhs = tex(value)
            if target is None:
                eqs.append(rhs)
                continue
            if dt_sign and isinstance(target, ast.Name) and target.id == "x" and any(isinstance(n, ast.Name) and n.id == "x" for n in ast.walk(value)):
                # x = x + … dt …: the state at t ± Δt from the state at t (Song et al. 2021's predictors, dt = −1/N)
                rhs = _Tex(song, step=step, vocab=vocab)(_Rename("x", "x_t").visit(value))
                lhs = r"x_{t-\Delta t}" if dt_sign < 0 else r"x_{t+\Delta t}"
            elif vocab is not None and name in vocab.estimates:  # a per-example loss estimating an objective
                lhs, rhs = vocab.estimates[name][0], vocab.estimates[name][1] % rhs
            elif adapted_lhs is not None:
                lhs = adapted_lhs
            elif isinstance(target, ast.Name) and posterior_term(target.id, rhs) is not None:
                lhs, rhs = posterior_term(target.id, rhs)  # one coefficient of Eq. 7 (code_interface.py)
            elif vocab is not None and isinstance(target, ast.Name) and target.id in vocab.targets:
                lhs = vocab.targets[target.id]
            elif vocab is not None and vocab.update and isinstance(target, ast.Name) and target.id in vocab.names \
                    and any(isinstance(n, ast.Name) and n.id == target.id for n in ast.walk(value)):
                # x = x + …: the code base's step from its current state to the next (code_vocab.py)
                noisy = vocab.noise_update and not is_model_step(vocab, value)
                lhs = vocab.noise_update if noisy else vocab.update
            elif isinstance(target, ast.Name) and prior_logp(target.id, value):
                lhs = r"\log p_T(z)"
            elif isinstance(target, ast.Name) and target.id == "log_mean_coeff":
                # sde_lib's marginal_prob: mean = exp(log_mean_coeff) x, the mean coefficient √ᾱ(t) (Song et al. 2021, Eq. 29)
                lhs, rhs = r"\bar{\alpha}(t)", r"\exp\left(2\left(" + rhs + r"\right)\right)"
            elif isinstance(target, ast.Name) and seq:
                lhs = name_to_latex(target.id, tex.seq_index, song_code=song, step=step)  # an array defined elementwise
            elif isinstance(target, ast.Name) and re.fullmatch(r"(alphas|betas|sigmas)(_\w+)?", target.id):
                # an array of a schedule defined by a formula in an index: the array read at that index
                free = [v for v in ("i", "t", "n", "k") if any(isinstance(n, ast.Name) and n.id == v for n in ast.walk(value))]
                lhs = name_to_latex(target.id, free[0] if free else None, song_code=song, step=step)
            else:
                lhs = tex(target)
            eqs.append(f"{lhs} = {rhs}" if lhs else rhs)  # (no left side: an objective, code_vocab's estimates)
    except (CodeError, RecursionError, ValueError, TypeError, AttributeError):  # pragma: no cover - the other readers then
        return None
    return r" ; ".join(eqs)


class _Inline(ast.NodeTransformer):
    def __init__(self, env: Dict[str, ast.expr]):
        self.env = env

    def visit_Name(self, node: ast.Name):
        if node.id in self.env:
            return ast.parse(ast.unparse(self.env[node.id]), mode="eval").body
        return node


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name):
        return ast.Name(self.new, ast.Load()) if node.id == self.old else node
