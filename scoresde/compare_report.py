"""Compatibility name: the compare report now lives in :mod:`scoresde.compare.report` (and ``.tables``, ``.plots``)."""
# flake8: noqa
from .compare import RECORD_KEYS, CompareResult  # noqa: F401
from .compare.plots import make_plots  # noqa: F401
from .compare.report import FILES, prepare_out_dir, report_markdown, to_csv_text, to_json_text, write_outputs  # noqa: F401
from .compare.tables import fit_order, fit_order_note, order_table, summary_table  # noqa: F401
