"""Drawing a `ModelGraph` with matplotlib: `plot_model` when Graphviz is not installed.

Boxes are drawn as Graphviz draws Keras' HTML-like tables (cell padding 10 points, cell
spacing 2, cell borders 1, on a black table), placed by `_graph_layout`. Sizes are in points
and the figure is as many points wide as the drawing, so an image has `dpi / 72` pixels per
point, as Graphviz's do. matplotlib is used through its object API only (a `Figure` with an
Agg canvas): pyplot, the user's figures and the selected backend are never touched.
"""

import io

from lamina.utils import _graph_layout

PADDING = 10.0  # Graphviz `cellpadding` in Keras' labels
SPACING = 2.0  # Graphviz's default `cellspacing`
BORDER = 1.0  # `cellborder`
LINE = 1.25  # line height, in font sizes
FONT = "DejaVu Sans"  # shipped with matplotlib, so always found
LABEL_SIZE = 14  # nested models' names
PEN = 2.0  # edge width in points (Keras' `penwidth`)
ARROW = (10.0, 8.0)  # arrowhead length and width, in points
MAX_PIXELS = 32000  # the longest side of a raster image; larger drawings get a lower dpi
_MATPLOTLIB_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "svg": "svg", "pdf": "pdf",
                       "ps": "ps"}


def render(graph, fmt, rankdir="TB", dpi=200, splines="ortho"):
    """The bytes of an image of `graph` in `fmt` (a key of `_MATPLOTLIB_FORMATS`)."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "`plot_model` draws with Graphviz's `dot` program, or with matplotlib when Graphviz "
            "is not installed, and found neither. Install Graphviz "
            "(https://graphviz.org/download/) or matplotlib: `pip install \"lamina[plot]\"`."
        ) from error
    settings = {"svg.fonttype": "none", "svg.hashsalt": "lamina", "pdf.fonttype": 42,
                "ps.fonttype": 42, "text.usetex": False}
    with matplotlib.rc_context(settings):  # text stays text in SVG/PDF (searchable)
        measure = _Measure()
        tables = {box.key: _table(box.rows, measure) for box in graph.boxes}
        label_height = LABEL_SIZE * LINE + 4
        placed = _graph_layout.layout(
            {key: (table[0], table[1]) for key, table in tables.items()}, graph.edges,
            graph.cluster_paths(), rankdir=rankdir, ortho=splines == "ortho",
            label_height=label_height)
        figure = Figure(figsize=(placed.width / 72, placed.height / 72), dpi=72)
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_axis_off()
        axes.set_autoscale_on(False)
        axes.set_xlim(0, placed.width)
        axes.set_ylim(placed.height, 0)  # y grows downwards, as in the layout
        labels = _cluster_labels(graph.root)
        for cluster, (x, y, w, h) in placed.clusters.items():
            _draw_cluster(axes, labels[cluster], x, y, w, h, measure)
        if splines != "none":
            for points in placed.edges:
                _draw_edge(axes, points)
        for key, (x, y, _, _) in placed.boxes.items():
            _draw_table(axes, tables[key], x, y, measure)
        longest = max(placed.width, placed.height) * dpi / 72
        if fmt in ("png", "jpg", "jpeg") and longest > MAX_PIXELS:
            dpi = dpi * MAX_PIXELS / longest
        buffer = io.BytesIO()
        figure.savefig(buffer, format=_MATPLOTLIB_FORMATS[fmt], dpi=dpi, facecolor="white")
    return buffer.getvalue()


class _Measure:
    """Text widths and vertical metrics in points, for a font size and weight."""

    def __init__(self):
        from matplotlib.textpath import TextToPath

        self._engine = TextToPath()
        self._fonts = {}

    def font(self, size, bold):
        from matplotlib.font_manager import FontProperties

        if (size, bold) not in self._fonts:
            self._fonts[size, bold] = FontProperties(family=FONT, size=size,
                                                     weight="bold" if bold else "normal")
        return self._fonts[size, bold]

    def width(self, text, size, bold):
        if not text:
            return 0.0
        return self._engine.get_text_width_height_descent(text, self.font(size, bold),
                                                          ismath=False)[0]

    def baseline(self, size):
        """Offset from the middle of a line down to its baseline."""
        _, height, descent = self._engine.get_text_width_height_descent(
            "Ag(", self.font(size, False), ismath=False)
        return height / 2 - descent


def _table(rows, measure):
    """`(width, height, rows)`, each row `(height, [(cell, width, segment widths)])`, as
    Graphviz sizes an HTML table: cells as wide as their text plus padding, rows stretched to
    the widest, the extra width shared equally by a row's cells."""
    laid = []
    for row in rows:
        cells = []
        for cell in row:
            widths = [measure.width(text, cell.size, bold) for text, bold in cell.segments]
            cells.append([cell, sum(widths) + 2 * (PADDING + BORDER), widths])
        laid.append(cells)
    natural = [sum(c[1] for c in cells) + SPACING * (len(cells) + 1) for cells in laid]
    width = max(natural)
    heights = []
    for cells, row_width in zip(laid, natural):
        for cell in cells:
            cell[1] += (width - row_width) / len(cells)
        heights.append(max(c[0].size for c in cells) * LINE + 2 * (PADDING + BORDER))
    height = sum(heights) + SPACING * (len(laid) + 1)
    return width, height, list(zip(heights, laid))


def _draw_table(axes, table, x, y, measure):
    from matplotlib.patches import Rectangle

    width, height, rows = table
    axes.add_patch(Rectangle((x, y), width, height, facecolor="black", linewidth=0))
    top = y + SPACING
    for row_height, cells in rows:
        left = x + SPACING
        for cell, cell_width, widths in cells:
            axes.add_patch(Rectangle((left + BORDER, top + BORDER), cell_width - 2 * BORDER,
                                     row_height - 2 * BORDER, facecolor=cell.fill, linewidth=0))
            start = left + (cell_width - sum(widths)) / 2
            baseline = top + row_height / 2 + measure.baseline(cell.size)
            for (text, bold), text_width in zip(cell.segments, widths):
                axes.text(start, baseline, text, fontproperties=measure.font(cell.size, bold),
                          color=cell.color, ha="left", va="baseline", parse_math=False)
                start += text_width
            left += cell_width + SPACING
        top += row_height + SPACING


def _draw_edge(axes, points):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    (x0, y0), (x1, y1) = points[-2], points[-1]
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    dx, dy = (x1 - x0) / length, (y1 - y0) / length
    back = min(ARROW[0], length)
    base = (x1 - dx * back, y1 - dy * back)
    xs, ys = zip(*[*points[:-1], base])
    axes.add_line(Line2D(xs, ys, color="black", linewidth=PEN, solid_joinstyle="miter",
                         solid_capstyle="butt"))
    half = ARROW[1] / 2
    axes.add_patch(Polygon([(x1, y1), (base[0] - dy * half, base[1] + dx * half),
                            (base[0] + dy * half, base[1] - dx * half)], closed=True,
                           facecolor="black", edgecolor="black", linewidth=PEN / 2))


def _draw_cluster(axes, label, x, y, width, height, measure):
    from matplotlib.patches import Rectangle

    axes.add_patch(Rectangle((x, y), width, height, facecolor="none", edgecolor="black",
                             linewidth=1, linestyle=(0, (5, 3))))
    axes.text(x + 8, y + 4 + LABEL_SIZE * LINE / 2 + measure.baseline(LABEL_SIZE), label,
              fontproperties=measure.font(LABEL_SIZE, False), ha="left", va="baseline",
              parse_math=False)


def _cluster_labels(cluster):
    labels = {cluster.key: cluster.label}
    for inner in cluster.clusters:
        labels.update(_cluster_labels(inner))
    return labels
