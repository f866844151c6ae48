"""LaTeX as people paste it -> the LaTeX the reader parses (a text-level pass before splitting and parsing).

Each rule is general LaTeX usage, not a rule for one formula:

* a cell written as Python code is read by Python's grammar (:mod:`scoresde.formulas.code_latex`);

* a leading label ending in a colon (``\\text{Langevin step:}``) is prose, and so is a caption in parentheses
  before a formula (``\\quad \\text{(sub-VP SDE)}\\ dx = …``);
* environments and markup with no mathematical content: ``equation``/``align``/``aligned``/``gather``/
  ``split`` environments, ``&``, ``\\tag``, ``\\label``, ``\\nonumber``, trailing equation numbers
  ``\\qquad (12)``, trailing prose conditions (``\\quad \\text{for } t = 1, …, T``);
  aligned rows joined when the next row continues the equation (``\\\\ &= …``), separated otherwise;
* definitions and assignments: ``:=``, ``\\coloneqq``, ``\\triangleq``, ``\\equiv``, ``\\leftarrow``, ``\\gets``,
  ``\\stackrel{..}{=}``, ``\\overset{..}{=}`` are ``=``;
* fractions: ``\\tfrac``, ``\\dfrac``, ``\\cfrac`` are ``\\frac``; brace-less arguments (``\\frac12``,
  ``\\frac1{\\sqrt{\\alpha_t}}``) are braced;
* differentials: ``\\mathrm{d}``, ``\\operatorname{d}``, ``\\text{d}`` are ``d``; ``\\omega`` after a ``d`` is
  the Brownian motion ``w``;
* derivatives in time: ``\\dot\\sigma(t)``, ``\\sigma'(t)``, ``d\\sigma/dt`` are ``\\frac{d\\sigma(t)}{dt}``;
* brackets and bars: ``\\{ \\}``, ``\\lbrace``, ``\\mid``, ``\\vert``, ``\\lVert``; ``\\underbrace{X}_{..}``,
  ``\\overbrace{X}^{..}``, ``\\underset{..}{X}`` are ``X``; transposes (``^\\top``) are dropped;
* a stacked equation ``\\frac{d}{dt}\\begin{bmatrix} a \\\\ b \\end{bmatrix} = \\begin{bmatrix} c \\\\ d \\end{bmatrix}`` is one
  equation per row (``da/dt = c``, ``db/dt = d``);
* ``\\operatorname{expm1}(u)``, ``log1p``, ``softplus`` are their definitions (:mod:`~scoresde.formulas.named_functions`);
* ``\\min(X, 0.999)`` (the β clip of Nichol & Dhariwal 2021) is judged as X (the clip only matters at t = T);
* ``\\log 2\\pi`` is ``\\log(2\\pi)``; ``\\mathbb{E}[x_0 \\mid x_t]`` (and ``\\mathbb{E}[x(0) \\mid x(t)]``, Song et al.
  2021's continuous-time notation) is the posterior mean ``\\hat{x}_0``; ``\\min``/``clip``/``clamp`` at 0.999 as below;
* macros (:data:`_MACROS`): ``x^\\top x`` and ``\\sum_{i=1}^d x_i^2`` are ``\\|x\\|^2``; a font around a number is the number (``\\mathbf{0}``, ``\\boldsymbol{1}``: the zero
  vector / ones of a mean), every spelling of an ellipsis (``\\ldots``, ``\\cdots``, ``\\dotsc``, ``\\cdot\\cdot\\cdot``)
  is ``\\dots``; ``\\alpha_1\\alpha_2\\cdots\\alpha_t`` (or ``\\alpha_1\\cdots\\alpha_t``) is ``\\prod_{s=1}^{t}\\alpha_s`` (and ``\\beta_1 + \\beta_2 + \\dots + \\beta_t`` a sum).
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from .code_latex import code_to_latex
from .code_schedule_pair import code_schedule_pair
from .defs_text import strip_markup
from .named_functions import expand_named_functions
from .book_notation import square_bracket_calls
from .param_notation import params_after_semicolon
from .paper_notation import paper_notation, paren_range
from .parse_partial import partial_log_as_gradient
from .tokens import looks_plain

__all__ = ["normalize_latex"]

_ENV = re.compile(r"\\(?:begin|end)\{(?:equation|align|aligned|alignat|gather|gathered|split|eqnarray|multline|array)\*?\}(?:\{[^{}]*\})?")
_DROP_ARG = re.compile(r"\\(?:tag\*?|label)\s*\{[^{}]*\}")
_DROP = re.compile(r"\\(?:nonumber|notag|displaystyle|textstyle|mathop\{\}\\!)(?![a-zA-Z])|\\!")
_EQNUM = re.compile(r"(?:\\q?quad|\s{2,}|~)\s*\(\s*\d+(?:\.\d+)?[a-z]?\s*\)\s*[.,;]?\s*$")
#: a label before the formula, ending in a colon inside or right after the text group (``\\text{Reverse SDE:} dx = …``,
#: ``\\text{逆向SDE}：``, full-width ``：`` too): prose, not math
_LABEL = re.compile(r"^\s*\\(?:text|textrm|textbf|mbox|mathrm)\s*\{[^{}]*?(?:[:：]\s*\}|\}\s*[:：])\s*")
#: a caption in parentheses before a formula of a list (``…, \quad \text{(sub-VP SDE)}\ dx = …``): prose, not math
_PAREN_LABEL = re.compile(r"(^|\\q?quad|,)\s*\\(?:text|textrm|textbf|mbox)\s*\{\s*\([^{}()]*\)\s*\}(?:\s|\\[ ,;:]|~)*")
_PROSE = re.compile(r"(?:,\s*)?(?:\\q?quad|\\,|\\;)*\s*\\(?:text|textrm|mbox|mathrm)\s*\{\s*(?:for|where|with|if|when|and|s\.t\.|for all|otherwise)\b.*$", re.S)
#: ``\text{where } f(t) = …``: the words introduce a one-letter function's definition, which the cell's other equation
#: uses (Nichol & Dhariwal 2021, Eq. 17 "ᾱ_t = f(t)/f(0), f(t) = cos(…)²"): the words go, the definition stays
_WHERE_DEF = re.compile(r"(?:,\s*)?(?:\\q?quad|\\,|\\;)*\s*\\(?:text|textrm|mbox|mathrm)\s*\{\s*(?:where|with)\s*\}\s*"
                        r"(?=[A-Za-z]\s*(?:\\left\s*)?\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])*\s*(?:\\right\s*)?\)\s*=)")
_RANGE = re.compile(r"(?:,\s*|\\q?quad\s*|\\[,;:!]\s*|~\s*|\\text\s*\{\s*\}\s*)+(?:\\(?:sigma|lambda|tau|rho|gamma|alpha|beta|eta)\s*|[a-zA-Z])(?:_\{?\w+\}?)?\s*(?:=\s*[^=]*\\(?:[lc]?dots|ldots)[^=]*|\\in\s*[^=]*|(?:<|>|\\le|\\ge|\\leq|\\geq)\s*[^=]*|:?\s*[^=()\[\]{}]*\\(?:to|rightarrow|searrow)\s*[^=()\[\]{}]*)$")
_ASSIGN = re.compile(r":=|=:|\\coloneqq|\\coloneq|\\eqqcolon|\\triangleq|\\equiv|\\leftarrow|\\longleftarrow|\\gets|\\doteq"
                     r"|\\stackrel\s*\{[^{}]*\}\s*\{\s*=\s*\}|\\overset\s*\{[^{}]*\}\s*\{\s*=\s*\}|\\defeq")
_DIFF = re.compile(r"\{\s*\\rm\s+d\s*\}|\\(?:mathrm|operatorname|text|textrm|mathit|rm)\s*\{\s*d\s*\}|\\rm\s+d(?![a-zA-Z])|\\differential\b|\\dd(?![a-zA-Z])")
_OMEGA = re.compile(r"(?<![a-zA-Z\\])(d\s*(?:\\(?:bar|overline)\s*)?\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*)?\{?\s*)\\omega")
_BARS = [(re.compile(r"\\\{"), "("), (re.compile(r"\\\}"), ")"), (re.compile(r"\\lbrace(?![a-zA-Z])"), "("),
         (re.compile(r"\\rbrace(?![a-zA-Z])"), ")"), (re.compile(r"\\(?:mid|vert|lvert|rvert)(?![a-zA-Z])"), "|"),
         (re.compile(r"\\middle\s*\|"), "|"), (re.compile(r"\\(?:Vert|lVert|rVert)(?![a-zA-Z])"), r"\\|"),
         (re.compile(r"\^\s*\{?\s*\\(?:top|intercal|(?:mathsf|mathrm)\s*(?:\{\s*T\s*\}|T(?![A-Za-z])))\s*\}?"), ""),
         # VDM's γ_η(t): γ(t) with its parameters η named (Kingma et al. 2021, Eq. 3); the same function
         (re.compile(r"\\gamma\s*_\s*(?:\{\s*\\eta\s*\}|\\eta(?![a-zA-Z]))"), r"\\gamma")]
_SP = r"(?:\s|\\[ ,;:!]|\\q?quad(?![a-zA-Z]))*"
_TRANSPOSE = re.compile(r"\^\s*(?:\{\s*\\(?:intercal|(?:mathsf|mathrm)\s*(?:\{\s*T\s*\}|T))\s*\}|\\intercal(?![a-zA-Z]))")
#: β clipped at 0.999: \min(X, 0.999), clip(X, 0.999), clip(X, 0, 0.999) (numpy.clip / torch.clamp argument order)
_CLIP = re.compile(r"(?:\\min|(?:\\(?:text|mathrm|operatorname|textrm)\s*\{\s*)?(?:clip|clamp)\s*\}?)\s*(?:\\left|\\big|\\Big)?\s*\(\s*(?P<x>.*?)\s*,"
                   + _SP + r"(?:0(?:\.0*)?\s*," + _SP + r")?(?:0?\.99\d*|\\frac\s*\{\s*9{3,}\s*\}\s*\{\s*10{3,}\s*\})" + _SP
                   + r"(?:\\right|\\big|\\Big)?\s*\)")  # (code_latex writes 0.999 as \frac{999}{1000})
_LOG2PI = re.compile(r"\\log\s*(\d*\s*\\pi)(?![a-zA-Z])(?!\s*\(\s*(?:\\(?:mathbf|boldsymbol|bm|vec)\s*\{?\s*)?[xyz])")
_POSTERIOR_MEAN = re.compile(r"\\mathbb\s*\{\s*E\s*\}\s*(?:\\left)?\s*\[\s*((?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x))\s*(?:_\s*\{?\s*0\s*\}?|\(\s*0\s*\))"
                             r"\s*(?:\||\\mid)\s*[^\]]*(?:\\right)?\s*\]")
#: the data prediction written as a function of the state it is computed from, x̂_0(x_t) or x̂_0(x_t, t) (Chung et al.
#: 2023, Eq. 6; Lai et al. 2025): the same quantity as x̂_0 (its argument is not a factor)
_X0_OF_STATE = re.compile(r"(\\hat\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*\}\s*_\s*\{?\s*0\s*\}?)\s*"
                          r"(?:\\left\s*)?\(\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*[xz]\s*\}|[xz])\s*_\s*\{?\s*t\s*\}?"
                          r"\s*(?:,\s*t\s*)?(?:\\right\s*)?\)")
#: Sohl-Dickstein et al. 2015's time superscript x^{(t)}, x^{(t-1)}, x^{(T)}, x^{(0)}: the state x_t (only time indices:
#: x^{(i)} is the i-th data point in score-matching sums)
_TIME_SUPERSCRIPT = re.compile(r"((?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(?<![A-Za-z\\])[xyz]\s*\}?)\s*\^\s*\{\s*\(\s*"
                               r"([tT](?:\s*[-+]\s*1)?|0)\s*\)\s*\}")
#: the angular parametrisation at a time point, α_t = cos φ_t, σ_t = sin φ_t (Salimans & Ho 2022, Sec. 4; Keras's DDIM
#: example: signal_rates = cos(angles), noise_rates = sin(angles)), in a formula that uses both
_ANGLE = re.compile(r"\\(cos|sin)\s*(?:\\left\s*)?\(\s*\\phi\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])\s*(?:\\right\s*)?\)")
#: k-diffusion's ancestral split written with arrows (σ_↑, σ_↓) and its get_ancestral_step(sigma_from, sigma_to) names
#: as subscripts: σ_up, σ_down of the step from σ_i to σ_{i+1}
_ARROW_SUB = re.compile(r"_\s*\{\s*\\(up|down)arrow\s*\}|_\s*\\(up|down)arrow(?![A-Za-z])")
_FROM_TO = re.compile(r"\\sigma\s*_\s*\{\s*\\(?:text|mathrm|rm)\s*\{\s*(from|to)\s*\}\s*\}")
#: macro table: (pattern, replacement), applied in order
_VEC = r"(\\(?:mathbf|boldsymbol|bm|vb|pmb)\s*\{\s*[a-z]\s*\}|(?<![\\a-zA-Z])[a-z])"
_MACROS = [
    # xᵀx and Σ_i x_i² (the sum of squared components) are the squared norm ‖x‖²
    (re.compile(_VEC + r"\s*\^\s*\{?\s*\\(?:top|intercal|(?:mathsf|mathrm)\s*(?:\{\s*T\s*\}|T(?![A-Za-z])))\s*\}?\s*\1(?![_a-zA-Z])"), r"\\|\1\\|^2"),
    (re.compile(r"\\sum_\s*(?:\{\s*(?P<i>[ij])\s*(?:=\s*1\s*)?\}|(?P<j>[ij]))\s*(?:\^\s*(?:\{\s*[dDNn]\s*\}|[dDNn]))?\s*"
                r"(?P<v>\\(?:mathbf|boldsymbol|bm|vb|pmb)\s*\{\s*[a-z]\s*\}|(?<![\\a-zA-Z])[a-z])_\s*(?:\{\s*[ij]\s*\}|[ij])"
                r"\s*\^\s*(?:\{\s*2\s*\}|2)"), r"\\|\g<v>\\|^2"),
    (re.compile(r"\\(?:mathbf|boldsymbol|bm|mathrm|mathit|mathsf|pmb|vb|textbf)\s*\{\s*(\d+(?:\.\d+)?)\s*\}"), r" \1 "),
    (re.compile(r"\\(?:ldots|cdots|dotsc|dotsb|dotsm|dotso|mathellipsis|hdots)(?![a-zA-Z])|(?:\\cdot\s*){3}|\.\.\."), r"\\dots "),
    # plain TeX's {\cal N} / \cal{N} is \mathcal{N}; ⊙ (elementwise) scales a vector by a scalar here
    (re.compile(r"\{\s*\\cal\s+([A-Z])\s*\}|\\cal\s*\{\s*([A-Z])\s*\}|\\cal\s+([A-Z])"),
     lambda m: r"\mathcal{" + (m.group(1) or m.group(2) or m.group(3)) + "}"),
    (re.compile(r"\\odot(?![a-zA-Z])"), r"\\cdot "),
]
# written-out products and sums: α_1 α_2 ⋯ α_t is ∏_{s=1}^{t} α_s, β_1 + β_2 + … + β_t is Σ_{s=1}^{t} β_s
_SYM = r"(?P<s1>\\[a-zA-Z]+(?:\s*\{\s*\\?[a-zA-Z]+\s*\})?|[a-zA-Z])"
_IDX1 = r"_\s*(?:\{\s*1\s*\}|1)"
_IDX2 = r"_\s*(?:\{\s*2\s*\}|2)"
_LAST = r"_\s*(?:\{\s*([a-zA-Z](?:\s*[+-]\s*1)?)\s*\}|([a-zA-Z]))"
_PRODUCT = re.compile(_SYM + _IDX1 + r"(?:\s*(?:\\cdot\s*)?(?P=s1)" + _IDX2 + r")?\s*(?:\\cdot\s*)?\\dots\s*(?:\\cdot\s*)?(?P=s1)" + _LAST)
#: the same product written from the top down, α_t ⋯ α_1 or α_t α_{t−1} ⋯ α_1 (Su 2022, 生成扩散模型漫谈（一）)
_TOP = r"_\s*(?:\{\s*(?P<top>[a-zA-Z])\s*\}|(?P<top2>[a-zA-Z]))"
_PRODUCT_DOWN = re.compile(_SYM + _TOP + r"\s*(?:\\cdot\s*)?(?:(?P=s1)_\s*\{\s*(?:(?P=top)|(?P=top2))\s*-\s*1\s*\}\s*(?:\\cdot\s*)?)?"
                           r"\\dots\s*(?:\\cdot\s*)?(?P=s1)" + _IDX1)
_SUM = re.compile(_SYM + _IDX1 + r"\s*\+\s*(?P=s1)" + _IDX2 + r"\s*\+\s*\\dots\s*\+\s*(?P=s1)" + _LAST)
_DOT = re.compile(r"\\dot\s*(\{\s*\\?[a-zA-Z]+\s*\}|\\[a-zA-Z]+|[a-zA-Z])\s*\(\s*t\s*\)")
#: σ̇, ṡ written without their argument (Karras et al. 2022 write σ̇ = σ̇(t) in running text): the same derivative
_DOT_BARE = re.compile(r"\\dot(?!s)\s*(\{\s*\\(?:sigma|alpha|beta|lambda|gamma)\s*\}|\\(?:sigma|alpha|beta|lambda|gamma)(?![a-zA-Z])|\{\s*s\s*\}|s(?![a-zA-Z]))(?!\s*[(_^{])")
_PRIME = re.compile(r"(\\(?:sigma|alpha|beta|gamma|lambda|mu)|(?<![a-zA-Z\\])[sgf])\s*'\s*\(\s*t\s*\)")
_PRIME_BARE = re.compile(r"(\\sigma)\s*'(?!\s*[(_'^])")  # σ' for σ'(t), as σ̇ for σ̇(t)
_INLINE_DDT = re.compile(r"(?<![a-zA-Z\\])d\s*(\\(?:sigma|alpha|beta|lambda)|[sx])\s*(\(\s*t\s*\))?\s*/\s*d\s*t(?![a-zA-Z])")


def _group(text: str, i: int) -> Optional[Tuple[int, int]]:
    """(start, end) of the braced group or single token starting at text[i] (spaces skipped), or None."""
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    if i >= n:
        return None
    if text[i] == "{":
        depth = 0
        for j in range(i, n):
            if text[j] == "{" and (j == 0 or text[j - 1] != "\\"):
                depth += 1
            elif text[j] == "}" and text[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return i, j + 1
        return None
    if text[i] == "\\":
        m = re.match(r"\\[a-zA-Z]+", text[i:])
        return (i, i + m.end()) if m else (i, min(n, i + 2))
    return i, i + 1


def _brace_frac_args(text: str) -> str:
    out, i = [], 0
    for m in re.finditer(r"\\frac(?![a-zA-Z])", text):
        if m.start() < i:
            continue
        out.append(text[i:m.end()])
        j = m.end()
        for _ in range(2):
            g = _group(text, j)
            if g is None:
                break
            a, b = g
            piece = text[a:b]
            out.append(piece if piece.startswith("{") else "{" + piece + "}")
            j = b
        i = j
    out.append(text[i:])
    return "".join(out)


def _strip_wrappers(text: str) -> str:
    """\\underbrace{X}_{..} -> X, \\overbrace{X}^{..} -> X, \\underset{..}{X} / \\overset{..}{X} -> X."""
    for _ in range(50):
        m = re.search(r"\\(underbrace|overbrace|underset|overset|underline|overline_text)\s*(?=\{)", text)
        if not m:
            return text
        g = _group(text, m.end())
        if g is None:
            return text
        a, b = g
        if m.group(1) in ("underset", "overset"):
            g2 = _group(text, b)
            if g2 is None:
                return text
            text = text[:m.start()] + text[g2[0]:g2[1]] + text[g2[1]:]
            continue
        keep = text[a:b]
        rest = b
        k = rest
        while k < len(text) and text[k] == " ":
            k += 1
        if k < len(text) and text[k] in "_^":
            g2 = _group(text, k + 1)
            if g2 is not None:
                rest = g2[1]
        text = text[:m.start()] + keep + text[rest:]
    return text


def _rows(text: str) -> str:
    """Aligned rows: joined when the next row continues the equation, else separated by \\quad."""
    parts = re.split(r"\\\\(?:\[[^\]]*\])?", text)
    if len(parts) == 1:
        return text
    out = parts[0]
    for p in parts[1:]:
        q = re.sub(r"^(?:\s|\\q?quad|\\[,;:! ])+", "", p.replace("&", " ")).strip()
        if not q:
            continue
        if re.match(r"^(=|\+|-|\\cdot|\\times|\\le|\\ge|\\approx)", q) or not out.strip():
            out += " " + q
        else:
            out += r" \quad " + q
    return out


_MATRIX_EQ = re.compile(r"^\s*(?P<d>\\frac\s*\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*\}\s*\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*t\s*\})?"
                        r"\s*(?:\\left\s*)?\\begin\{(?P<e1>[bpv]?matrix)\}(?P<l>.*?)\\end\{(?P=e1)\}(?:\s*\\right)?\s*=\s*(?:\\left\s*)?"
                        r"\\begin\{(?P<e2>[bpv]?matrix)\}(?P<r>.*?)\\end\{(?P=e2)\}(?:\s*\\right)?\s*[.,;]?\s*$", re.S)


def _matrix_rows(text: str) -> str:
    """``d/dt [a; b] = [c; d]`` (a stacked ODE: Chen et al. 2018, Eq. 4's augmented state) -> ``da/dt = c, \\quad
    db/dt = d``: one equation per row, each judged on its own."""
    m = _MATRIX_EQ.match(text)
    if not m:
        return text
    left = [q.strip() for q in re.split(r"\\\\", m.group("l")) if q.strip()]
    right = [q.strip() for q in re.split(r"\\\\", m.group("r")) if q.strip()]
    if len(left) != len(right) or len(left) < 2 or any("&" in q for q in left + right):
        return text
    rows = [(r"\frac{d " + a_ + "}{dt}" if m.group("d") else a_) + " = " + b_ for a_, b_ in zip(left, right)]
    return r" \quad ".join(rows)


#: ``z \sim N(0, I)``: a plain N after ``\sim`` is the normal distribution, as ``\mathcal{N}``
_PLAIN_NORMAL = re.compile(r"(\\sim\s*)N\s*(?=\\left\s*\(|\()")


#: a density ``p(a | b)`` or ``q_φ(a)`` on the left of ``\propto``
_DENSITY_LHS = re.compile(r"^\s*[pq]\s*(?:_\s*(?:\{[^{}]*\}|\\?[a-zA-Z0-9]+))?\s*(?:\\(?:left|big|Big|bigg|Bigg))?\s*\(")
_PROPTO_NORMAL = re.compile(r"\\propto\s*(?=\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\(?:left|big|Big|bigg|Bigg))?\s*\()")


def _proportional_normal(s: str) -> str:
    """``q(a | b) ∝ N(a; μ, Σ)``: a density proportional, as a function of its variable, to a normalised Gaussian
    density is that Gaussian (the constant is fixed by ∫q = 1), so ``∝`` is read as ``=`` when its right side is one
    whole N(·) and nothing else (Luo 2022, Eq. 71-84 derive the DDPM posterior this way)."""
    m = _PROPTO_NORMAL.search(s)
    if m is None or not _DENSITY_LHS.match(s[:m.start()]) or s.count("\\propto") != 1:
        return s
    depth, started = 0, False
    for j in range(m.end(), len(s)):
        if s[j] == "(":
            depth, started = depth + 1, True
        elif s[j] == ")":
            depth -= 1
            if started and depth == 0:
                if s[j + 1:].strip(" .,;") or not _same_variable(s[:m.start()], s[m.end():j]):
                    return s
                return s[:m.start()] + "= " + s[m.end():]
    return s


def _same_variable(density: str, normal: str) -> bool:
    """Whether N(v; …) is a Gaussian in the density's own variable (q(v | …)): only then is ∝ an equality."""
    var = re.split(r"\\mid|\||\)", density.split("(", 1)[1])[0] if "(" in density else ""
    inner = normal.split("(", 1)[1] if "(" in normal else ""
    if ";" not in inner:
        return True  # N(μ, Σ): no variable written, the density's own
    norm = lambda t: re.sub(r"\\(?:left|right|big|Big|bigg|Bigg|mathbf|boldsymbol|bm)\b|[\s{}]", "", t)  # noqa: E731
    return norm(var) == norm(inner.split(";", 1)[0])


_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
#: a remark in Chinese/Japanese prose, \text{（后验方差）}, (\text{其中}), \text{当}: a separator, not a factor
_CJK_TEXT = re.compile(r"(?:\\[ ,;:]\s*)*[(（]?\s*\\(?:text|textrm|mbox|mathrm)\s*\{[^{}]*[" + _CJK + r"][^{}]*\}\s*[)）]?(?:\s*\\[ ,;:])*")
#: the null condition of classifier-free guidance, ε_θ(x_t, ∅) (Ho & Salimans 2022, Sec. 3.2: ε_θ(z_λ) = ε_θ(z_λ, c = ∅))
_NULL_COND = re.compile(r"\s*,\s*\\(?:varnothing|emptyset|O)(?![a-zA-Z])\s*(?=\\right\s*\)|\))")
_FULL_WIDTH = str.maketrans({"，": ",", "；": ";", "。": " ", "（": "(", "）": ")", "、": ","})


def cjk_prose(s: str) -> str:
    """Chinese table cells (seed 002; Zhihu/CSDN notes) mix formulas with words in \\text{…} and full-width
    punctuation: the words separate the formulas, the punctuation is ASCII's."""
    if not re.search("[" + _CJK + "]", s):
        return s
    s = _CJK_TEXT.sub(r" \\quad ", s).translate(_FULL_WIDTH)
    return re.sub(r"^(?:\s*\\quad)+\s*|(?:\s*\\quad)+\s*$", "", s)  # a leading label or trailing remark: no separator


def normalize_latex(text: str) -> str:
    """The rules of the module docstring, applied in order (idempotent)."""
    if looks_plain(text):
        text = code_schedule_pair(text)  # alpha, sigma = cos(t·π/2), sin(t·π/2): α_t, σ_t (code_schedule_pair.py)
        text = code_to_latex(text) or text  # a cell written as Python code (code_latex.py)
    text = _NULL_COND.sub("", cjk_prose(text))
    s = _ENV.sub(" ", _matrix_rows(_LABEL.sub("", text)))
    s = _PAREN_LABEL.sub(lambda m: m.group(1) + " ", s)
    s = strip_markup(s)  # \color{..}{X}, A \Rightarrow B, \max(ᾱ_{j−1}/ᾱ_j, C_1) (defs_text.py)
    s = _ARROW_SUB.sub(lambda m: r"_{\text{" + (m.group(1) or m.group(2)) + "}}", s)
    if {m.group(1) for m in _FROM_TO.finditer(s)} == {"from", "to"}:
        s = _FROM_TO.sub(lambda m: r"\sigma_{i}" if m.group(1) == "from" else r"\sigma_{i+1}", s)
    s = _TRANSPOSE.sub(r"^{\\top}", s)  # ^{\mathsf{T}}, ^{\mathrm T}, ^\intercal: ^\top, before fonts are unwrapped
    for rx, rep in _MACROS:
        s = rx.sub(rep, s)
    s = expand_named_functions(s)  # \operatorname{expm1}(u) = e^u − 1, log1p, softplus (named_functions.py)
    s = _PRODUCT.sub(lambda m: r"\prod_{s=1}^{" + (m.group(2) or m.group(3)) + "}" + m.group("s1") + "_s", s)
    s = _PRODUCT_DOWN.sub(lambda m: r"\prod_{s=1}^{" + (m.group("top") or m.group("top2")) + "}" + m.group("s1") + "_s", s)
    s = _SUM.sub(lambda m: r"\sum_{s=1}^{" + (m.group(2) or m.group(3)) + "}" + m.group("s1") + "_s", s)
    s = _DROP_ARG.sub(" ", s)
    s = _DROP.sub(" ", s)
    s = _rows(s)
    s = s.replace("&", " ")
    s = _strip_wrappers(s)
    s = _WHERE_DEF.sub(r"\\quad ", s)  # "where f(t) = …": a definition the cell's formula uses (celldefs), kept
    s = _PROSE.sub("", s)
    s = _EQNUM.sub("", s)
    s = _RANGE.sub("", paren_range(s))
    s = _ASSIGN.sub("=", s)
    s = _proportional_normal(s)
    s = paper_notation(s)  # DDIM's family letter, Prince's Norm, ∇log[(1/Z)·], EDM's c_skip (paper_notation.py)
    s = square_bracket_calls(s)  # Prince's Norm_z[μ, Σ] and g_t[z_t, φ_t] (book_notation.py)
    s = re.sub(r"\\[tdc]frac(?![a-zA-Z])", r"\\frac", s)
    s = _brace_frac_args(s)
    s = params_after_semicolon(s)  # F(x; θ) is F_θ(x); Hyvärinen's ψ(x; θ) is s_θ(x) (param_notation.py)
    s = partial_log_as_gradient(s)  # ∂ log p/∂x is ∇_x log p (Vincent 2011, Eq. 8; parse_partial.py)
    s = _DIFF.sub(" d", s)
    s = _OMEGA.sub(r"\1 w", s)
    for rx, rep in _BARS:
        s = rx.sub(rep, s)
    s = _LOG2PI.sub(r"\\log(\1)", s)
    s = _CLIP.sub(lambda m: m.group("x"), s)
    s = _PLAIN_NORMAL.sub(r"\1\\mathcal{N}", s)
    s = _POSTERIOR_MEAN.sub(r"\\hat{x}_0", s)
    s = _X0_OF_STATE.sub(r"\1", s)
    if {m.group(1) for m in _ANGLE.finditer(s)} == {"cos", "sin"} and not re.search(r"\\(?:alpha|sigma)|d\s*\\phi", s):
        # (not where φ is also the variable of a derivative, dz_φ/dφ: the multi-time reader reads those angles)
        s = _ANGLE.sub(lambda m: (r"\alpha_" if m.group(1) == "cos" else r"\sigma_") + m.group(2), s)
    s = _TIME_SUPERSCRIPT.sub(lambda m: m.group(1) + "_{" + re.sub(r"\s+", "", m.group(2)) + "}", s)
    s = _DOT.sub(lambda m: r"\frac{d" + m.group(1).strip("{} ") + r"(t)}{dt}", s)
    s = _DOT_BARE.sub(lambda m: r"\frac{d" + m.group(1).strip("{} ") + r"(t)}{dt}", s)
    s = _PRIME.sub(lambda m: r"\frac{d" + m.group(1) + r"(t)}{dt}", s)
    s = _PRIME_BARE.sub(lambda m: r"\frac{d" + m.group(1) + r"(t)}{dt}", s)
    s = _INLINE_DDT.sub(lambda m: r"\frac{d" + m.group(1) + r"(t)}{dt}", s)
    return re.sub(r"[ \t\n]+", " ", s).strip()
