"""A layered layout of boxes and arrows, for drawing a model when Graphviz is not installed.

The steps are those of Graphviz's `dot`, each in its simplest form:

1. Ranks: a box sits one rank below its lowest parent (longest path), then moves down to just
   above its highest child when that makes its edges no longer (a second input and the layers
   between it and where it joins the graph). Edges that would close a cycle (a shared layer fed its
   own output) are set aside and drawn straight.
2. An edge that spans several ranks gets a zero-size waypoint in every rank it crosses, so it
   is routed between boxes, not through them.
3. Order within ranks: sweeps down and up sort each rank by the mean position of its
   neighbours in the previous rank (barycenters); the boxes of one nested model stay together.
   The order with the fewest crossings wins.
4. Positions along a rank: each box as close as possible to the mean of its neighbours without
   overlapping (a least-squares fit under the order constraint: isotonic regression).
5. Edges: orthogonal (down, across on a track of the gap between ranks, down) or straight.

Everything is computed in a frame where ranks go down (`u` along a rank, `v` across ranks) and
turned to `rankdir` at the end. Units are points; `y` grows downwards.
"""

from itertools import pairwise
from typing import NamedTuple

NODESEP = 18.0  # points between neighbouring boxes in a rank (Graphviz: 0.25 in)
RANKSEP = 36.0  # points between ranks (Graphviz: 0.5 in)
TRACKSEP = 10.0  # points between parallel segments that cross one gap
WAYPOINT = 8.0  # room a long edge takes in a rank it crosses
CLUSTER_PAD = 10.0  # points between a nested model's frame and its boxes
PORT_STEP = 24.0  # points between the arrowheads that enter one box
MARGIN = 8.0
SWEEPS = 8


class Layout(NamedTuple):
    """Where everything goes: `boxes` and `clusters` as `(x, y, width, height)` from the
    top-left corner, `edges` as lists of `(x, y)` points ending at the arrow's tip."""

    width: float
    height: float
    boxes: dict
    edges: list
    clusters: dict


def layout(sizes, edges, paths, rankdir="TB", ortho=True, label_height=0.0):
    """Lay out boxes of `sizes` (`{key: (width, height)}`, in drawing order) joined by `edges`
    (`(source, destination)` keys); `paths` gives each box's clusters, outermost first; each
    cluster frame keeps `label_height` points free at its top for its label."""
    vertical = rankdir in ("TB", "BT")
    keys = list(sizes)
    extent = {k: (sizes[k] if vertical else sizes[k][::-1]) for k in keys}  # (along u, along v)
    forward, back = _split_cycles(keys, edges)
    rank = _ranks(keys, forward)
    count = max(rank.values(), default=0) + 1
    paths = dict(paths)
    up, down, chains = {k: [] for k in keys}, {k: [] for k in keys}, []
    for index, (a, b) in enumerate(forward):
        chain = [a]
        for r in range(rank[a] + 1, rank[b]):
            waypoint = ("waypoint", index, r)
            rank[waypoint], extent[waypoint] = r, (WAYPOINT, 0.0)
            paths[waypoint] = _common(paths.get(a, ()), paths.get(b, ()))
            up[waypoint], down[waypoint] = [], []
            chain.append(waypoint)
        chain.append(b)
        for x, y in pairwise(chain):
            down[x].append(y)
            up[y].append(x)
        chains.append(chain)
    levels = [[] for _ in range(count)]
    for key in rank:
        levels[rank[key]].append(key)
    levels = _order(levels, up, down, paths)
    label_u, label_v = (0.0, label_height) if vertical else (label_height, 0.0)
    u = _positions(levels, up, down, extent, paths, label_u)
    ports = _ports(levels, up, u, extent)
    tracks = _tracks(levels, down, u, ports) if ortho else [{} for _ in levels]
    v, gaps = _ranks_v(levels, extent, paths, rank, tracks, label_v)

    def to_visual(point_u, point_v):
        total = v[-1] + max((extent[k][1] for k in levels[-1]), default=0.0) / 2
        along = {"TB": point_v, "BT": total - point_v, "LR": point_v, "RL": total - point_v}
        return (point_u, along[rankdir]) if vertical else (along[rankdir], point_u)

    boxes = {}
    for key in keys:
        (cu, cv), (su, sv) = (u[key], v[rank[key]]), extent[key]
        corners = [to_visual(cu - su / 2, cv - sv / 2), to_visual(cu + su / 2, cv + sv / 2)]
        (x0, y0), (x1, y1) = [min(p) for p in zip(*corners)], [max(p) for p in zip(*corners)]
        boxes[key] = (x0, y0, x1 - x0, y1 - y0)
    lines = []
    for chain in chains:
        points = [(u[chain[0]], v[rank[chain[0]]] + extent[chain[0]][1] / 2)]
        for x, y in pairwise(chain):
            end = (ports[x, y], v[rank[y]] - extent[y][1] / 2)
            track = tracks[rank[x]].get(x)
            if track is not None:
                level = gaps[rank[x]][0] + (gaps[rank[x]][1] - gaps[rank[x]][0]) * (
                    (track + 1) / (len(set(tracks[rank[x]].values())) + 1))
                points += [(points[-1][0], level), (end[0], level)]
            points.append(end)
        lines.append(_simplify([to_visual(*p) for p in points]))
    for a, b in back:
        lines.append(_back_edge(boxes[a], boxes[b]))
    clusters = _cluster_frames(keys, paths, boxes, label_height)
    return _shifted(boxes, lines, clusters)


# -- 1. ranks -----------------------------------------------------------------------------------
def _split_cycles(keys, edges):
    """`(forward, back)`: the edges of a depth-first search that close a cycle are `back`."""
    children = {k: [] for k in keys}
    for a, b in edges:
        children[a].append(b)
    state, back = {}, set()
    for start in keys:
        if start in state:
            continue
        state[start] = "open"
        stack = [(start, iter(children[start]))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if state.get(child) == "open":
                    back.add((node, child))
                elif child not in state:
                    state[child] = "open"
                    stack.append((child, iter(children[child])))
                    break
            else:
                state[node] = "done"
                stack.pop()
    return [e for e in edges if e not in back], [e for e in edges if e in back]


def _ranks(keys, edges):
    parents, children = {k: [] for k in keys}, {k: [] for k in keys}
    for a, b in edges:
        parents[b].append(a)
        children[a].append(b)
    waiting = {k: len(parents[k]) for k in keys}
    ready, order = [k for k in keys if not waiting[k]], []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for child in children[key]:
            waiting[child] -= 1
            if not waiting[child]:
                ready.append(child)
    rank = {}
    for key in order:
        rank[key] = max((rank[p] + 1 for p in parents[key]), default=0)
    for key in reversed(order):  # pull down what has room (a second input and its layers),
        # when that shortens edges or is neutral: as many edges leave the box as enter it
        if children[key] and len(parents[key]) <= len(children[key]):
            rank[key] = min(rank[c] for c in children[key]) - 1
    return rank


def _common(a, b):
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    return a[:common]


# -- 3. order within ranks ----------------------------------------------------------------------
def _order(levels, up, down, paths):
    best, fewest = [list(level) for level in levels], _crossings(levels, down)
    for sweep in range(SWEEPS):
        downwards = sweep % 2 == 0
        indices = range(1, len(levels)) if downwards else range(len(levels) - 2, -1, -1)
        for r in indices:
            neighbours = up if downwards else down
            position = {k: i for i, k in enumerate(levels[r - 1 if downwards else r + 1])}
            current = {k: i for i, k in enumerate(levels[r])}
            weight = {k: (sum(position[n] for n in neighbours[k]) / len(neighbours[k])
                          if neighbours[k] else current[k]) for k in levels[r]}
            levels[r] = _grouped(levels[r], weight, paths, 0)
        crossings = _crossings(levels, down)
        if crossings < fewest:
            best, fewest = [list(level) for level in levels], crossings
    return best


def _grouped(keys, weight, paths, depth):
    """`keys` sorted by `weight`, keeping the members of a cluster next to each other."""
    groups = {}
    for key in keys:
        path = paths.get(key, ())
        groups.setdefault(path[depth] if len(path) > depth else ("box", key), []).append(key)
    ordered = sorted(groups.items(),
                     key=lambda item: sum(weight[k] for k in item[1]) / len(item[1]))
    result = []
    for group, members in ordered:
        boxed = isinstance(group, tuple) and group[0] == "box"
        result += members if boxed else _grouped(members, weight, paths, depth + 1)
    return result


def _crossings(levels, down):
    total = 0
    for upper, lower in pairwise(levels):
        position = {k: i for i, k in enumerate(lower)}
        pairs = [(i, position[c]) for i, k in enumerate(upper) for c in down[k]]
        total += sum(1 for n, (a, b) in enumerate(pairs) for c, d in pairs[n + 1:]
                     if (a - c) * (b - d) < 0)
    return total


# -- 4. positions along ranks -------------------------------------------------------------------
def _positions(levels, up, down, extent, paths, label_u):
    def gap(a, b):
        common = len(_common(paths.get(a, ()), paths.get(b, ())))
        frames = len(paths.get(a, ())) + len(paths.get(b, ())) - 2 * common
        return (extent[a][0] + extent[b][0]) / 2 + NODESEP + frames * (CLUSTER_PAD + label_u)

    separation = [[gap(a, b) for a, b in pairwise(level)] for level in levels]
    u = {}
    for level, seps in zip(levels, separation):
        _place(level, [0.0] * len(level), seps, u)
    for sweep in range(2 * SWEEPS):
        downwards = sweep % 2 == 0
        neighbours = up if downwards else down
        indices = range(1, len(levels)) if downwards else range(len(levels) - 2, -1, -1)
        for r in indices:
            targets = [sum(u[n] for n in neighbours[k]) / len(neighbours[k]) if neighbours[k]
                       else u[k] for k in levels[r]]
            _place(levels[r], targets, separation[r], u)
    return u


def _place(level, targets, separation, u):
    """Positions nearest to `targets` (least squares) keeping each neighbour `separation`
    apart: subtracting the running offsets leaves a monotone fit (pool adjacent violators)."""
    offsets = [0.0]
    for sep in separation:
        offsets.append(offsets[-1] + sep)
    blocks = []  # [mean, size]
    for target, offset in zip(targets, offsets):
        blocks.append([target - offset, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, size = blocks.pop()
            blocks[-1] = [(blocks[-1][0] * blocks[-1][1] + mean * size) / (blocks[-1][1] + size),
                          blocks[-1][1] + size]
    fitted = [mean for mean, size in blocks for _ in range(size)]
    for key, value, offset in zip(level, fitted, offsets):
        u[key] = value + offset


# -- 5. edges -----------------------------------------------------------------------------------
def _ports(levels, up, u, extent):
    """`{(source, destination): u}`: where an edge enters its destination; the edges into one
    box are spread along its side, in the order of their sources, so merges stay apart."""
    ports = {}
    for level in levels:
        for key in level:
            sources = sorted(up[key], key=lambda s: u[s])
            step = min(PORT_STEP, extent[key][0] / (len(sources) + 1))
            for i, source in enumerate(sources):
                ports[source, key] = u[key] + (i - (len(sources) - 1) / 2) * step
    return ports


def _tracks(levels, down, u, ports):
    """For each gap below a rank, `{source: track}`: edges leaving one box share a track,
    edges whose horizontal runs overlap get different ones (interval colouring)."""
    found = []
    for level in levels:
        spans = []
        for key in level:
            ends = [ports[key, child] for child in down[key]]
            low, high = min([u[key], *ends]), max([u[key], *ends])
            if high - low > 0.5:
                spans.append((low, high, key))
        tracks, last = {}, []
        for low, high, key in sorted(spans, key=lambda span: span[:2]):
            free = [t for t, right in enumerate(last) if right < low - 0.5]
            track = free[0] if free else len(last)
            last[track:track + 1] = [high]
            tracks[key] = track
        found.append(tracks)
    return found


def _ranks_v(levels, extent, paths, rank, tracks, label_v):
    """Centres of the ranks, and for each gap the span its tracks may use."""
    first, last = {}, {}
    for key, path in paths.items():
        for cluster in path:
            first[cluster] = min(first.get(cluster, rank[key]), rank[key])
            last[cluster] = max(last.get(cluster, rank[key]), rank[key])
    thickness = [max((extent[k][1] for k in level), default=0.0) for level in levels]
    v, gaps = [thickness[0] / 2], []
    for r in range(len(levels)):
        closing = max((sum(last[c] == r for c in paths.get(k, ())) for k in levels[r]), default=0)
        following = levels[r + 1] if r + 1 < len(levels) else []
        opening = max((sum(first[c] == r + 1 for c in paths.get(k, ())) for k in following),
                      default=0)
        frames_before = closing * (CLUSTER_PAD + label_v)
        frames_after = opening * (CLUSTER_PAD + label_v)
        free = max(RANKSEP, (len(set(tracks[r].values())) + 1) * TRACKSEP)
        start = v[r] + thickness[r] / 2 + frames_before
        gaps.append((start, start + free))
        if r + 1 < len(levels):
            v.append(start + free + frames_after + thickness[r + 1] / 2)
    return v, gaps


def _simplify(points):
    """Drop repeated points and points in the middle of a straight run."""
    kept = [points[0]]
    for point in points[1:]:
        if abs(point[0] - kept[-1][0]) < 1e-6 and abs(point[1] - kept[-1][1]) < 1e-6:
            continue
        if len(kept) > 1:
            (x0, y0), (x1, y1) = kept[-2], kept[-1]
            if abs((x1 - x0) * (point[1] - y1) - (y1 - y0) * (point[0] - x1)) < 1e-6:
                kept[-1] = point
                continue
        kept.append(point)
    return kept


def _back_edge(source, destination):
    """A straight arrow for an edge that closes a cycle; a loop at the side for a self-loop."""
    x, y, w, h = source
    if source == destination:
        return [(x + w, y + h / 3), (x + w + 20, y + h / 3), (x + w + 20, y + 2 * h / 3),
                (x + w, y + 2 * h / 3)]
    dx, dy, dw, dh = destination
    return [(x + w / 2, y), (dx + dw / 2, dy + dh)]


def _cluster_frames(keys, paths, boxes, label_height):
    """`{cluster: (x, y, width, height)}`, innermost first, each around its boxes and frames."""
    members = {}
    for key in keys:
        for depth, cluster in enumerate(paths.get(key, ())):
            members.setdefault(cluster, (depth, []))[1].append(boxes[key])
    inside = {c: set() for c in members}  # cluster -> the clusters nested in it
    for path in paths.values():
        for depth, cluster in enumerate(path):
            inside[cluster].update(path[depth + 1:])
    frames = {}
    for cluster, (_, rects) in sorted(members.items(), key=lambda item: -item[1][0]):
        rects = rects + [frames[c] for c in inside[cluster]]
        x0 = min(r[0] for r in rects) - CLUSTER_PAD
        y0 = min(r[1] for r in rects) - CLUSTER_PAD - label_height
        x1 = max(r[0] + r[2] for r in rects) + CLUSTER_PAD
        y1 = max(r[1] + r[3] for r in rects) + CLUSTER_PAD
        frames[cluster] = (x0, y0, x1 - x0, y1 - y0)
    return frames


def _shifted(boxes, lines, clusters):
    """Everything moved so that the drawing starts `MARGIN` points from the top-left."""
    xs = [r[0] for r in [*boxes.values(), *clusters.values()]] + [p[0] for l in lines for p in l]
    ys = [r[1] for r in [*boxes.values(), *clusters.values()]] + [p[1] for l in lines for p in l]
    x_ends = [r[0] + r[2] for r in [*boxes.values(), *clusters.values()]] + xs
    y_ends = [r[1] + r[3] for r in [*boxes.values(), *clusters.values()]] + ys
    dx, dy = MARGIN - min(xs), MARGIN - min(ys)

    def move(rect):
        return (rect[0] + dx, rect[1] + dy, rect[2], rect[3])

    return Layout(max(x_ends) + dx + MARGIN, max(y_ends) + dy + MARGIN,
                  {k: move(r) for k, r in boxes.items()},
                  [[(x + dx, y + dy) for x, y in line] for line in lines],
                  {k: move(r) for k, r in clusters.items()})
