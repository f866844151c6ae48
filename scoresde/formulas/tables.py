"""Find the formulas of a markdown / plain-text document: table cells and display math.

A table is a run of lines starting with "|" whose second line is the |---|:---:| separator.
Cells are split on "|" outside $...$; each $...$ segment of a cell is one formula ("A 或 B" or
"A or B" between two segments: alternatives, each judged). Display math ($$...$$) outside
tables is read too; inline math in prose is not (it is mostly single symbols).
Row and column headers give hints (DDPM/SMLD, forward/reverse, SDE/iteration) that are reported
next to what the formula itself was read as.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List

__all__ = ["Formula", "find_formulas", "split_row", "header_hint"]


@dataclass
class Formula:
    latex: str
    location: str
    line: int
    row: str = ""
    column: str = ""
    alternative: str = ""  # "1 of 2" when a cell joins alternatives with 或 / or


_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)", re.S)
_OR_BETWEEN = re.compile(r"^\s*(或者|或|or|OR|/)\s*$")


def split_row(line: str) -> List[str]:
    """Split a table row on '|' outside $...$ (and outside escaped \\|)."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    cells, cur, in_math, i = [], [], False, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if c == "$":
            in_math = not in_math
        if c == "|" and not in_math:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    return cells


def _cell_formulas(cell: str) -> List[tuple]:
    """(latex, alternative label) for each formula in a cell."""
    segs = [(m.start(), m.end(), next(g for g in m.groups() if g is not None)) for m in _MATH.finditer(cell)]
    if not segs:
        txt = cell.strip()
        if "=" in txt and ("\\" in txt or "_" in txt):
            return [(txt, "")]
        return []
    # alternatives: consecutive segments joined only by 或 / or
    groups: List[List[str]] = [[segs[0][2]]]
    for (s0, e0, _), (s1, e1, tex) in zip(segs, segs[1:]):
        between = cell[e0:s1]
        if _OR_BETWEEN.match(between):
            groups[-1].append(tex)
        else:
            groups.append([tex])
    out = []
    for g in groups:
        for k, tex in enumerate(g):
            out.append((tex.strip(), f"alternative {k + 1} of {len(g)}" if len(g) > 1 else ""))
    return out


def header_hint(row: str, column: str) -> str:
    """What the row and column headers say the formula is (for the report)."""
    txt = (row + " " + column).lower()
    parts = []
    if "ddpm" in txt:
        parts.append("DDPM/VP")
    if "smld" in txt or "ncsn" in txt:
        parts.append("SMLD/VE")
    if any(w in txt for w in ("逆", "reverse", "backward", "反向")):
        parts.append("reverse")
    elif any(w in txt for w in ("正向", "forward", "前向")):
        parts.append("forward")
    if any(w in txt for w in ("迭代", "iteration", "discrete", "离散")):
        parts.append("iteration")
    elif any(w in txt for w in ("微分", "sde", "differential", "continuous")):
        parts.append("differential equation")
    return ", ".join(parts)


def find_formulas(text: str) -> List[Formula]:
    """Every table-cell formula and display-math formula of a document, in reading order."""
    lines = text.splitlines()
    out: List[Formula] = []
    i, table_no = 0, 0
    in_table_lines = set()
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _SEP.match(lines[i + 1]):
            table_no += 1
            header = split_row(lines[i])
            in_table_lines.update({i, i + 1})
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                in_table_lines.add(j)
                cells = split_row(lines[j])
                row_label = re.sub(r"\*+", "", cells[0]).strip() if cells else ""
                for c, cell in enumerate(cells):
                    col = re.sub(r"\*+", "", header[c]).strip() if c < len(header) else f"column {c + 1}"
                    for tex, alt in _cell_formulas(cell):
                        loc = f"line {j + 1}, table {table_no}, row \"{row_label}\", column \"{col}\""
                        out.append(Formula(tex, loc, j + 1, row_label, col, alt))
                j += 1
            i = j
            continue
        i += 1
    # display math outside tables
    full = text
    for m in re.finditer(r"\$\$(.+?)\$\$", full, re.S):
        line = full.count("\n", 0, m.start()) + 1
        if (line - 1) in in_table_lines:
            continue
        tex = " ".join(m.group(1).split())
        out.append(Formula(tex, f"line {line}, display math", line))
    out.sort(key=lambda f: f.line)
    return out
