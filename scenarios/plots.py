"""The one door to matplotlib: figures are created here, and matplotlib is imported only when one is drawn.

Importing it costs about a quarter of a second, which `accord validate`, `show`, `list` and a sweep's worker
processes need not pay. The figure functions themselves live in each scenario module, beside the tables they
plot (one scenario, one file); they call `figure` for a blank Agg figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure(figsize: tuple[float, float]) -> Figure:
    """A new matplotlib Figure (object-oriented API, no pyplot state, so safe in worker processes)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)
