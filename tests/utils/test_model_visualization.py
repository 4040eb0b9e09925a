"""`plot_model` and `model_to_dot`: the DOT text (boxes, edges, labels as Keras writes them),
images drawn by Graphviz and by the matplotlib fallback, and the fallback's layout."""

import io
import json
import pathlib
import re
import shutil
import sys
import types
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

import lamina as keras
from lamina import layers
from lamina.utils import _graph_layout, _model_graph, model_visualization
from lamina.utils.model_visualization import model_to_dot, plot_model

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" /
                     "model_visualization_golden.json").read_text())
EDGE = re.compile(r'^"([^"]+)" -> "([^"]+)" \[penwidth=2\];$', re.MULTILINE)
NODE = re.compile(r'^"([^"]+)" \[label=<', re.MULTILINE)


def mlp():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                             layers.Dropout(0.2), layers.Dense(10, activation="softmax")])


def branching():
    """The model of the golden file: a trunk, two branches, their concatenation, a head."""
    inputs = keras.Input(shape=(6,), name="features")
    trunk = layers.Dense(5, activation="relu", name="trunk")(inputs)
    left = layers.Dense(4, activation="tanh", name="left")(trunk)
    right = layers.Dense(2, name="right")(trunk)
    merged = layers.Concatenate(name="merged")([left, right])
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="head")(merged))
    model.get_layer("right").trainable = False
    return model


@pytest.fixture
def no_graphviz(monkeypatch):
    """Hide Graphviz, so that images are drawn by the matplotlib fallback."""
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot"
                        else which(name, *a, **k))


@pytest.fixture
def graphviz():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed: the Graphviz path cannot run here.")


def _label_texts(dot):
    """`{box key: the text of its label}`, tags removed, as in the golden file."""
    found = {}
    for line in dot.to_string().splitlines():
        match = re.match(r'^"([^"]+)" \[label=<(.*)>, fontname', line)
        if match:
            found[match.group(1)] = re.sub(r"<[^>]*>", "", match.group(2))
    return found


# -- the DOT text -------------------------------------------------------------------------------
def test_dot_has_every_layer_and_the_exact_edges_of_a_branching_model():
    text = model_to_dot(branching()).to_string()
    assert NODE.findall(text) == ["features", "trunk", "left", "right", "merged", "head"]
    assert EDGE.findall(text) == [("features", "trunk"), ("trunk", "left"), ("trunk", "right"),
                                  ("left", "merged"), ("right", "merged"), ("merged", "head")]
    assert text.startswith("digraph G {\nrankdir=TB;\nconcentrate=True;\ndpi=200;\n"
                           "splines=ortho;\nnode [shape=record];\n") and text.endswith("}\n")


def test_sequential_has_no_input_box_and_chains_its_layers():
    text = model_to_dot(mlp()).to_string()
    assert NODE.findall(text) == ["dense", "dropout", "dense_1"]
    assert EDGE.findall(text) == [("dense", "dropout"), ("dropout", "dense_1")]


@pytest.mark.parametrize("name, build", [("mlp", mlp), ("branching", branching)])
def test_labels_say_what_keras_says(name, build):
    dot = model_to_dot(build(), show_shapes=True, show_dtype=True, show_layer_activations=True,
                       show_trainable=True)
    assert _label_texts(dot) == GOLDEN[name]


def test_label_options_and_defaults():
    model = branching()
    plain = _label_texts(model_to_dot(model))
    assert plain["merged"] == "merged (Concatenate)"  # model_to_dot shows names by default
    unnamed = _label_texts(model_to_dot(model, show_layer_names=False, show_shapes=True))
    assert unnamed["merged"] == "ConcatenateInput shape: [(None, 4), (None, 2)]" \
                                "Output shape: (None, 6)"
    text = model_to_dot(model, show_trainable=True).to_string()
    assert text.count('bgcolor="firebrick"') == 1 and text.count('bgcolor="forestgreen"') == 3
    assert '<td bgcolor="black" colspan="2"><font point-size="16" color="white"><b>head</b> ' \
           "(Dense)</font></td>" in model_to_dot(model, show_shapes=True).to_string()


def test_names_are_escaped_in_dot():
    inputs = keras.Input(shape=(2,), name='a"b')
    model = keras.Model(inputs, layers.Dense(1, name="x<y&z")(inputs))
    text = model_to_dot(model).to_string()
    assert '"a\\"b" -> "x<y&z" [penwidth=2];' in text
    assert "<b>x&lt;y&amp;z</b> (Dense)" in text


def nested():
    inner_in = keras.Input(shape=(4,), name="inner_in")
    encoder = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="enc")
    head = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, name="h1"),
                             layers.Dense(1, name="h2")], name="head")
    inputs = keras.Input(shape=(4,), name="x")
    return keras.Model(inputs, head(encoder(layers.Dense(4, name="pre")(inputs))), name="outer")


def test_nested_models_are_one_box_each_unless_expanded():
    text = model_to_dot(nested(), show_shapes=True).to_string()
    assert NODE.findall(text) == ["x", "pre", "enc", "head"]
    assert set(EDGE.findall(text)) == {("x", "pre"), ("pre", "enc"), ("enc", "head")}
    assert "<b>enc</b> (Functional)" in text and "<b>head</b> (Sequential)" in text
    assert "Input shape: <b>(None, 3)</b></font></td><td bgcolor=\"white\"><font " \
           'point-size="14">Output shape: <b>(None, 1)</b>' in text


def test_expand_nested_draws_inner_layers_in_clusters_and_connects_them():
    text = model_to_dot(nested(), expand_nested=True).to_string()
    assert NODE.findall(text) == ["x", "pre", "enc/inner_in", "enc/inner_dense", "head/h1",
                                  "head/h2"]
    assert set(EDGE.findall(text)) == {
        ("x", "pre"), ("pre", "enc/inner_in"), ("enc/inner_in", "enc/inner_dense"),
        ("enc/inner_dense", "head/h1"), ("head/h1", "head/h2")}
    assert 'subgraph "cluster_enc" {\nlabel="enc";\nlabeljust=l;\nstyle=dashed;' in text
    assert 'subgraph "cluster_head" {' in text


def test_subgraph_is_a_cluster_named_after_the_model():
    text = str(model_to_dot(mlp(), subgraph=True))
    assert text.startswith('subgraph "cluster_sequential" {\nlabel="sequential";')


def test_a_subclassed_model_is_one_box():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = layers.Dense(3)

        def call(self, inputs):
            return self.dense(inputs)

    model = Net()
    model(np.zeros((2, 4), "float32"))
    dot = model_to_dot(model, show_shapes=True)
    assert _label_texts(dot) == {"net": "net (Net)Input shape: ?Output shape: ?"}
    assert EDGE.findall(dot.to_string()) == []


def test_a_shared_layer_is_one_box_with_a_loop():
    inputs = keras.Input(shape=(3,), name="x")
    shared = layers.Dense(3, name="shared")
    model = keras.Model(inputs, layers.Dense(1, name="y")(shared(shared(inputs))))
    assert EDGE.findall(model_to_dot(model).to_string()) == [
        ("x", "shared"), ("shared", "shared"), ("shared", "y")]


# -- errors -------------------------------------------------------------------------------------
def test_unbuilt_model_raises_keras_error():
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match=r"This model has not yet been built\. Build the model "
                                         r"first by calling `build\(\)`"):
        plot_model(model)
    with pytest.raises(ValueError, match="has not yet been built"):
        model_to_dot(model)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"layer_range": ["dense", "dense_1"]}, ValueError,
     r"`plot_model` no longer supports the argument `layer_range`"),
    ({"show_layer_name": True}, ValueError,
     r"`plot_model` got unrecognized keyword arguments: \['show_layer_name'\]"),
    ({"rankdir": "TD"}, ValueError,
     (r"`plot_model` expects `rankdir` to be one of 'TB', 'LR', 'BT', 'RL'\. Received: "
      r"rankdir='TD' \(of type str\)")),
    ({"splines": "zigzag"}, ValueError, r"expects `splines` to be one of 'ortho'"),
    ({"dpi": 0}, ValueError, (r"`plot_model` expects `dpi` to be a positive number\. "
                              r"Received: dpi=0 \(of type int\)")),
    ({"dpi": True}, ValueError, r"expects `dpi` to be a positive number"),
    ({"to_file": "model.bmp"}, ValueError,
     (r"`plot_model` expects `to_file` to end with one of \.png, \.jpg, \.jpeg, \.svg, \.pdf, "
      r"\.ps, \.dot \(or no extension, for PNG\)\. Received: to_file='model\.bmp'")),
])
def test_plot_model_rejects_bad_arguments(tmp_path, kwargs, error, match):
    kwargs.setdefault("to_file", str(tmp_path / "m.dot"))
    with pytest.raises(error, match=match):
        plot_model(mlp(), **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_model_to_dot_rejects_bad_arguments():
    with pytest.raises(TypeError, match=r"`model_to_dot` expects `model` to be a `keras\.Model` "
                                        r"or layer\. Received: model='mlp' \(of type str\)"):
        model_to_dot("mlp")
    with pytest.raises(ValueError, match=r"`model_to_dot` got unrecognized keyword arguments"):
        model_to_dot(mlp(), to_file="m.png")
    dot = model_to_dot(mlp())
    with pytest.raises(ValueError, match=r"`Dot\.create` expects `format` to be one of 'png', "
                                         r".*'raw'\. Received: format='gif'"):
        dot.create(format="gif")
    with pytest.raises(ValueError, match=r"`Dot\.create` expects `prog` to be 'dot' or None.*"
                                         r"Received: prog='neato'"):
        dot.create(prog="neato", format="png")


def test_without_graphviz_and_matplotlib_the_error_names_both(no_graphviz, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"Install Graphviz .* or matplotlib: `pip install "
                                          r"\"lamina\[plot\]\"`"):
        model_to_dot(mlp()).create(format="png")


def _fake_dot(tmp_path, monkeypatch, script):
    path = tmp_path / "dot"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: str(path))


def test_graphviz_failure_raises_with_its_message(tmp_path, monkeypatch):
    _fake_dot(tmp_path, monkeypatch, 'echo "Error: syntax error in line 3" >&2; exit 2')
    with pytest.raises(RuntimeError, match=r"failed to draw the model \(exit status 2\): "
                                           r"Error: syntax error in line 3"):
        plot_model(mlp(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_graphviz_timeout_raises(tmp_path, monkeypatch):
    _fake_dot(tmp_path, monkeypatch, "exec sleep 5")
    monkeypatch.setattr(model_visualization, "DOT_TIMEOUT", 0.3)
    with pytest.raises(RuntimeError, match=r"took more than 0\.3 seconds to draw the model"):
        model_to_dot(mlp()).create(format="svg")


# -- images -------------------------------------------------------------------------------------
def _check_png(path, dpi):
    """A decodable PNG whose size is in proportion to `dpi`; returns (width, height)."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        width, height = image.size
        assert image.getextrema() and 20 * dpi / 72 < min(width, height) < 2000 * dpi / 72
        assert np.asarray(image.convert("L")).min() == 0  # black boxes and text
    return width, height


def _check_svg(path, names):
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = " ".join("".join(node.itertext()) for node in root.iter())
    for name in names:
        assert name in text


@pytest.mark.parametrize("backend", ["graphviz", "no_graphviz"])
def test_images_in_every_format(backend, request, tmp_path):
    request.getfixturevalue(backend)
    model = branching()
    names = [layer.name for layer in model.layers]
    sizes = {}
    for dpi in (36, 72):
        plot_model(model, tmp_path / f"m{dpi}.png", dpi=dpi, show_layer_names=True)
        sizes[dpi] = _check_png(tmp_path / f"m{dpi}.png", dpi)
    ratio = np.array(sizes[72]) / np.array(sizes[36])
    np.testing.assert_allclose(ratio, 2.0, atol=0.1)  # pixels scale with dpi
    plot_model(model, tmp_path / "m.svg", show_layer_names=True, show_shapes=True)
    _check_svg(tmp_path / "m.svg", [*names, "(None, 4), (None, 2)"])
    plot_model(model, tmp_path / "m.pdf", dpi=36)
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")
    plot_model(model, tmp_path / "m.JPG", dpi=36)
    assert (tmp_path / "m.JPG").read_bytes()[:3] == b"\xff\xd8\xff"
    plot_model(model, tmp_path / "noextension", dpi=36)
    assert (tmp_path / "noextension").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m.JPG", "m.pdf", "m.svg", "m36.png", "m72.png", "noextension"]  # no temporary files


def test_graphviz_png_matches_fallback_in_layout(graphviz, monkeypatch, tmp_path):
    """Both draw the same boxes in the same arrangement: the images have similar shapes."""
    model = branching()
    plot_model(model, tmp_path / "g.png", dpi=36, show_shapes=True)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    plot_model(model, tmp_path / "m.png", dpi=36, show_shapes=True)
    g, m = _check_png(tmp_path / "g.png", 36), _check_png(tmp_path / "m.png", 36)
    assert 0.6 < (g[0] / g[1]) / (m[0] / m[1]) < 1.6


def test_fallback_png_size_is_the_layout_size_at_dpi(no_graphviz, tmp_path):
    plot_model(mlp(), tmp_path / "m.png", dpi=144)
    with Image.open(tmp_path / "m.png") as image:
        width, height = image.size
    # 3 boxes of one row: a 16-point line (1.25 * 16), padding and border (2 * 11), cell
    # spacing (2 * 2) = 46 points; 2 gaps of 36 points; 8-point margins:
    # 3 * 46 + 2 * 36 + 16 = 226 points, at 144 / 72 = 2 pixels per point.
    assert height == pytest.approx(2 * 226, abs=2)
    assert 200 < width < 300  # the widest box, "Dropout" in bold 16 points, plus margins


def test_fallback_draws_lr_and_nested_models(no_graphviz, tmp_path):
    plot_model(nested(), tmp_path / "lr.png", rankdir="LR", dpi=36, expand_nested=True)
    width, height = _check_png(tmp_path / "lr.png", 36)
    assert width > 3 * height  # six boxes in a row
    plot_model(nested(), tmp_path / "n.svg", expand_nested=True, show_layer_names=True)
    _check_svg(tmp_path / "n.svg", ["enc", "head", "inner_in", "inner_dense", "h1", "h2"])


def test_fallback_leaves_matplotlib_settings_alone(no_graphviz, tmp_path):
    import matplotlib

    keys = ("svg.fonttype", "pdf.fonttype", "svg.hashsalt", "text.usetex")
    before = {key: matplotlib.rcParams[key] for key in keys}
    had_pyplot = "matplotlib.pyplot" in sys.modules
    plot_model(mlp(), tmp_path / "m.svg")
    assert {key: matplotlib.rcParams[key] for key in keys} == before
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_dot_object_offers_pydot_methods(tmp_path):
    dot = model_to_dot(mlp())
    assert str(dot) == dot.to_string()
    assert dot.create(format="raw") == dot.to_string().encode()
    assert dot.write(tmp_path / "m.gv") is True
    assert (tmp_path / "m.gv").read_text() == dot.to_string()
    assert dot.create_png()[:4] == b"\x89PNG"
    dot.write_svg(tmp_path / "m.svg")
    ElementTree.parse(tmp_path / "m.svg")
    model = mlp()
    plot_model(model, tmp_path / "m.dot", show_shapes=True)
    assert (tmp_path / "m.dot").read_text() == model_to_dot(model, show_layer_names=False,
                                                            show_shapes=True).to_string()


def test_returns_a_notebook_image_when_ipython_is_installed(tmp_path, monkeypatch):
    assert plot_model(mlp(), tmp_path / "m.dot") is None
    display = types.ModuleType("IPython.display")
    display.Image = lambda filename: ("Image", filename)
    display.SVG = lambda filename: ("SVG", filename)
    ipython = types.ModuleType("IPython")
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    path = str(tmp_path / "m.png")
    assert plot_model(mlp(), path, dpi=36) == ("Image", path)
    assert plot_model(mlp(), tmp_path / "m.svg")[0] == "SVG"
    assert plot_model(mlp(), tmp_path / "m.pdf") is None


# -- the fallback layout ------------------------------------------------------------------------
def test_layout_of_a_chain_centres_boxes_one_rank_apart():
    placed = _graph_layout.layout({"a": (100, 40), "b": (60, 20)}, [("a", "b")], {})
    assert placed.boxes == {"a": (8, 8, 100, 40), "b": (28, 84, 60, 20)}  # 8 + 40 + 36 = 84
    assert placed.edges == [[(58, 48), (58, 84)]]
    assert (placed.width, placed.height) == (116, 112)


def test_layout_of_a_diamond_by_hand():
    sizes = {k: (40, 20) for k in "slrm"}
    edges = [("s", "l"), ("s", "r"), ("l", "m"), ("r", "m")]
    placed = _graph_layout.layout(sizes, edges, {})
    # l and r side by side 40 + 18 apart; s and m centred between them (x = 57).
    assert placed.boxes == {"s": (37, 8, 40, 20), "l": (8, 64, 40, 20), "r": (66, 64, 40, 20),
                            "m": (37, 120, 40, 20)}
    # Down from s, across on the middle of the 36-point gap, down into l.
    assert placed.edges[0] == [(57, 28), (57, 46), (28, 46), (28, 64)]
    # Two edges enter m 40 / 3 points apart, either side of its centre.
    ends = sorted(line[-1][0] for line in placed.edges[2:])
    np.testing.assert_allclose(ends, [57 - 20 / 3, 57 + 20 / 3])


def test_layout_turns_with_rankdir():
    sizes, edges = {"a": (100, 40), "b": (60, 20)}, [("a", "b")]
    lr = _graph_layout.layout(sizes, edges, {}, rankdir="LR")
    assert lr.boxes == {"a": (8, 8, 100, 40), "b": (144, 18, 60, 20)}  # 8 + 100 + 36 = 144
    assert lr.edges == [[(108, 28), (144, 28)]]
    bt = _graph_layout.layout(sizes, edges, {}, rankdir="BT")
    assert bt.boxes["b"][1] < bt.boxes["a"][1]


def test_layout_routes_long_edges_around_boxes():
    sizes = {k: (40, 20) for k in "abc"}
    placed = _graph_layout.layout(sizes, [("a", "b"), ("b", "c"), ("a", "c")], {})
    b = placed.boxes["b"]
    skip = placed.edges[2]
    assert all(not (b[0] <= x <= b[0] + b[2] and b[1] <= y <= b[1] + b[3]) for x, y in skip)


def test_place_is_the_least_squares_fit_under_separation():
    u = {}
    _graph_layout._place(["a", "b", "c"], [0.0, 0.0, 100.0], [10.0, 10.0], u)
    assert u == {"a": -5.0, "b": 5.0, "c": 100.0}


def test_model_graph_clusters_follow_nesting():
    graph = _model_graph.model_graph(nested(), expand_nested=True)
    assert graph.cluster_paths() == {
        "x": (), "pre": (), "enc/inner_in": ("cluster_enc",),
        "enc/inner_dense": ("cluster_enc",), "head/h1": ("cluster_head",),
        "head/h2": ("cluster_head",)}
