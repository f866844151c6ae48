"""LaTeX text -> tokens; plain math -> LaTeX; a cell split into alternatives and equations."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, List

from .atoms import ParseError, DECORATIONS, FONTS, GREEK, SKIP, SPACING
from .code_words import code_word

# ----------------------------------------------------------------------------- tokens
_TOKEN = re.compile(
    r"\\[a-zA-Z]+|\\[,;!: {}|>]|\d+(?:\.\d+)?|[A-Za-z]|\|\||[+\-*/^_()\[\]{}=,;|'.<>~&!]|[^\s]"
)


@dataclass
class Tok:
    kind: str  # "cmd", "num", "let", "op", "word"
    val: str


def _tokenize(text: str) -> List[Tok]:
    out: List[Tok] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if not m:  # pragma: no cover - the last alternative matches any non-space
            raise ParseError(f"cannot read character {text[i]!r}")
        v = m.group(0)
        i = m.end()
        if v.startswith("\\") and len(v) > 1 and v[1].isalpha():
            name = v[1:]
            if name in ("text", "mathrm", "operatorname", "textrm", "rm", "mbox", "textbf", "mathit") and i < len(text):
                # \text{...}: read the braces as one word
                j = i
                while j < len(text) and text[j].isspace():
                    j += 1
                if j < len(text) and text[j] == "{":
                    depth, k = 0, j
                    while k < len(text):
                        if text[k] == "{":
                            depth += 1
                        elif text[k] == "}":
                            depth -= 1
                            if depth == 0:
                                break
                        k += 1
                    word = text[j + 1:k].strip().replace("\\", "")
                    i = k + 1
                    if name == "mathrm" and word == "d":
                        out.append(Tok("let", "d"))
                    elif len(word) == 1 and word.isalpha():
                        out.append(Tok("let", word))
                    else:
                        out.append(Tok("word", word))
                    continue
            out.append(Tok("cmd", name))
        elif v.startswith("\\"):
            out.append(Tok("cmd", v[1:]))
        elif v[0].isdigit():
            out.append(Tok("num", v))
        elif v.isalpha() and len(v) == 1 and v.isascii():
            out.append(Tok("let", v))
        else:
            out.append(Tok("op", v))
    return out


# ----------------------------------------------------------------------------- plain math
_PLAIN_WORDS = {
    "alpha": r"\alpha", "alphas": r"\alpha", "beta": r"\beta", "betas": r"\beta", "sigma": r"\sigma",
    "sigmas": r"\sigma", "alpha_bar": r"\bar{\alpha}", "alpha_bars": r"\bar{\alpha}", "alphas_bar": r"\bar{\alpha}",
    "alphas_cumprod": r"\bar{\alpha}", "abar": r"\bar{\alpha}", "alphabar": r"\bar{\alpha}",
    "beta_tilde": r"\tilde{\beta}", "eps": r"\epsilon", "epsilon": r"\epsilon", "noise": r"\epsilon",
    "eps_theta": r"\epsilon_\theta", "eps_pred": r"\epsilon_\theta", "score": r"s_\theta", "s_theta": r"s_\theta",
    "sqrt": r"\sqrt", "exp": r"\exp", "log": r"\log", "cos": r"\cos", "sin": r"\sin", "tan": r"\tan",
    "pi": r"\pi", "theta": r"\theta", "lambda": r"\lambda", "mu": r"\mu", "mu_theta": r"\mu_\theta",
    "x_prev": "x_{t-1}", "x_next": "x_{t+1}", "x0": "x_0", "x_0": "x_0", "dt": "dt", "dw": "dw", "dx": "dx",
    "dwbar": r"d\bar{w}", "dw_bar": r"d\bar{w}", "dbarw": r"d\bar{w}",
}


def plain_to_latex(text: str) -> str:
    """Transliterate plain/Python-like math (``1/sqrt(alpha_bars[t]) * (x - ...)``) to LaTeX."""
    s = re.sub(r"\b(?:torch|np|numpy|math)\.", "", text)
    s = s.replace("**", "^")
    s = re.sub(r"\b(randn_like|randn)\s*\([^()]*\)", "z", s)
    s = re.sub(r"\bmodel\s*\(([^()]*)\)", r"\\epsilon_\\theta(\1)", s)
    if re.search(r"\b(?:eps|epsilon)\b", s):  # DDIM's code: eps (the prediction) beside noise (the fresh draw)
        s = re.sub(r"\bnoise\b", "z", s)

    def word(m: re.Match) -> str:
        w = m.group(1)
        idx = m.group(2)
        code = code_word(w, idx)  # sqrt_one_minus_alphas_cumprod_t, x_start, model_mean (official DDPM code's names)
        if code is not None:
            return code
        if w in _PLAIN_WORDS:
            base = _PLAIN_WORDS[w]
        else:
            parts = w.split("_")
            if len(parts) > 1 and parts[0] in _PLAIN_WORDS and parts[-1] in ("t", "i", "prev", "next", "s", "n"):
                head = "_".join(parts[:-1])
                sub = {"prev": "t-1", "next": "t+1"}.get(parts[-1], parts[-1])
                base = _PLAIN_WORDS.get(head, head)
                return f"{base}_{{{sub}}}"
            if len(parts) == 2 and parts[0] in _PLAIN_WORDS and parts[0] not in ("sqrt", "exp", "log"):
                return f"{_PLAIN_WORDS[parts[0]]}_{{{parts[1]}}}"
            if len(w) > 1 and "_" not in w:
                return r"\text{" + w + "}"
            base = w
        if idx is not None:
            return f"{base}_{{{idx}}}"
        return base if base.startswith("\\") and base[1:].isalpha() and not base.endswith("}") else base

    s = re.sub(r"(?<!\\)\b([A-Za-z][A-Za-z0-9_]*)(?:\[([^\[\]]+)\])?", word, s)
    s = s.replace("*", r" \cdot ")
    return s


def looks_plain(text: str) -> bool:
    return "\\" not in text and bool(re.search(r"[A-Za-z]{3,}|\*|\[[a-z0-9+\- ]+\]", text))


# ----------------------------------------------------------------------------- splitting
_OR = re.compile(r"\s*(?:或者|或|\\text\{\s*or\s*\}|\\quad\s*\\text\{or\}|\s+or\s+|\\mathrm\{or\}|\\textrm\{or\})\s*")


def split_alternatives(text: str) -> List[str]:
    """Split a cell on "或" / "or" joining alternatives (outside braces)."""
    parts = [p for p in _OR.split(text) if p.strip()]
    return parts or [text]


def split_top_level(text: str, at: Callable[[str, int], bool]) -> List[str]:
    """Split ``text`` where ``at(text, i)`` holds outside brackets (the character at i is dropped); a backslash and
    the character after it are one token (so ``\\{``, ``\\,`` never split or nest)."""
    pieces, depth, cur, i = [], 0, [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and at(text, i):
            pieces.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    pieces.append("".join(cur))
    return pieces


def split_equations(text: str) -> List[str]:
    """Split at top-level separators: ",", ";", "\\quad", "\\qquad", "\\\\", and drop "&"."""
    text = text.replace("&", " ")
    text = re.sub(r"\\(?:q?quad)\b|\\\\|\\text\{\s*(?:where|with|and|for)\s*\}|\\(?:text|mathrm)\{\s*,?\s*\}", " ; ", text)
    pieces = split_top_level(text, lambda s, i: s[i] in ",;")
    out = [p.strip().rstrip(".") for p in pieces]
    return [p for p in out if p and not re.fullmatch(r"[\s\\ ~,.]*", p)]



def _norm_script(toks: List[Tok]) -> str:
    """Normalise subscript/argument tokens to text: '{t-1}' -> 't-1', '\\theta' -> 'θ', '\\text{min}' -> 'min'."""
    out = []
    for t in toks:
        if t.kind == "cmd":
            if t.val in GREEK:
                out.append(GREEK[t.val])
            elif t.val in ("min", "max"):
                out.append(t.val)
            elif t.val in ("star", "ast"):
                out.append("*")
            elif t.val in SKIP or t.val in SPACING or t.val in DECORATIONS or t.val in FONTS:
                continue
            elif t.val == "infty":
                out.append("∞")
            else:
                out.append(t.val)
        elif t.kind == "word":
            out.append(t.val)
        elif t.val in ("{", "}"):
            continue
        else:
            out.append(t.val)
    return "".join(out)

def _tok_text(toks: List[Tok]) -> str:
    out = []
    for t in toks:
        out.append(("\\" + t.val) if t.kind == "cmd" else t.val)
    return "".join(out)
