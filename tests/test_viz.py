"""Graph drawings: exact DOT for a known expression, clusters per layer, the graph of a gradient
(backward clusters), labels with DOT's special characters, show_grad, collapse, real rendering
with graphviz's `dot`, the missing-program error, and a 10,000-op graph."""

from __future__ import annotations

import importlib.util
import os
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor, viz
from tinygrad_np import functional as F
from tinygrad_np.autograd import Op, scope
from tinygrad_np.nn import CNN, Conv2D, Dense, Flatten, Pooling

# DOT as the graphviz package writes it: one statement per line, attribute values quoted when needed.
VALUE = r'"(?:[^"\\]|\\.)*"|[^\s"\]]+'
ATTR = re.compile(rf"(\w+)=({VALUE})")
NODE = re.compile(r"^\t+(?!(?:graph|node|edge) )(\w+) \[(.*)\]$")  # not a default-attributes line
EDGE = re.compile(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$")
CLUSTER = re.compile(r"^\t+subgraph (cluster_\w+) \{$")
CLUSTER_ATTRS = re.compile(r"^\t+graph \[(.*)\]$")


def attrs(text: str) -> dict[str, str]:
    """`label="a\"b" shape=box` -> {"label": 'a\\"b', "shape": "box"}: values as written inside the quotes
    (DOT escapes like `\n` and `\\` kept), only the quoting undone."""
    return {
        key: value[1:-1].replace('\\"', '"') if value.startswith('"') else value
        for key, value in ATTR.findall(text or "")
    }


def parse(graph):
    """DOT source -> nodes {id: (label, attrs, cluster)}, edges [(src, dst, attrs)], clusters {name: attrs}.

    Legend nodes, edges and clusters are left out; `attrs` are dicts without the label."""
    nodes, edges, clusters, stack = {}, [], {}, []
    for line in graph.source.splitlines():
        if m := CLUSTER.match(line):
            stack.append(m.group(1))
        elif line.strip() == "}":
            if stack:
                stack.pop()
        elif (m := CLUSTER_ATTRS.match(line)) and stack:
            clusters[stack[-1]] = attrs(m.group(1))
        elif m := NODE.match(line):
            found = attrs(m.group(2))
            nodes[m.group(1)] = (found.pop("label"), found, stack[-1] if stack else None)
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), attrs(m.group(3))))
    clusters = {k: v for k, v in clusters.items() if not k.startswith("cluster_legend")}
    nodes = {k: v for k, v in nodes.items() if not k.startswith("legend_")}
    edges = [e for e in edges if not e[0].startswith("legend_")]
    return nodes, edges, clusters


def cluster_labels(clusters):
    return {name: found["label"] for name, found in clusters.items()}


def kind_of(found: dict[str, str]) -> str:
    return next(kind for kind, style in viz.STYLES.items() if found == style)


def small_expression():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 3)).astype(np.float32), name="x")
    w = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True, name="b")
    loss = ((x @ w) + b).relu().sum()
    loss.name = "loss"
    return x, w, b, loss


def small_cnn(fuse=False):
    model = CNN(
        Conv2D(n_filters=2, filter_size=3, n_channels=1, padding=1, activation="relu"),
        Pooling("max", 2, 2),
        Flatten(),
        Dense(5, 4 * 4 * 2),
        Dense(3, 5, activation="softmax"),
        fuse=fuse,
    )
    x = Tensor(np.random.default_rng(1).random((2, 8, 8, 1), np.float32), name="input")
    loss = F.cross_entropy(model(x), np.array([0, 2]))
    loss.name = "loss"
    return model, loss


# ---- the exact DOT of a known expression --------------------------------------------------
def test_known_expression_has_exact_nodes_edges_and_labels():
    x, w, b, loss = small_expression()
    graph = viz.draw_graph(loss, params={"w": w})
    nodes, edges, clusters = parse(graph)
    assert {k: v[0] for k, v in nodes.items()} == {
        "t0": r"x\n2×3 float32",
        "t1": r"w\n3×4 float32",
        "op0": "matmul",
        "t2": "2×4 float32",
        "t3": r"b\n4 float32",
        "op1": "add",
        "t4": "2×4 float32",
        "op2": "relu",
        "t5": "2×4 float32",
        "op3": "sum",
        "t6": r"loss\nscalar float32",
    }
    assert [(s, d) for s, d, _ in edges] == [
        ("t0", "op0"), ("t1", "op0"), ("op0", "t2"),
        ("t2", "op1"), ("t3", "op1"), ("op1", "t4"),
        ("t4", "op2"), ("op2", "t5"),
        ("t5", "op3"), ("op3", "t6"),
    ]  # fmt: skip
    kinds = {k: kind_of(v[1]) for k, v in nodes.items()}
    assert kinds == {
        "t0": "input", "t1": "parameter", "t3": "parameter", "t6": "output",
        "t2": "intermediate", "t4": "intermediate", "t5": "intermediate",
        "op0": "op", "op1": "op", "op2": "op", "op3": "op",
    }  # fmt: skip
    assert clusters == {}
    assert 'rankdir="LR"' in graph.source or "rankdir=LR" in graph.source


def test_source_is_deterministic_and_method_matches():
    *_, loss = small_expression()
    assert viz.draw_graph(loss).source == viz.draw_graph(loss).source == loss.draw_graph().source


def test_legend_lists_every_kind_and_can_be_left_out():
    *_, loss = small_expression()
    source = viz.draw_graph(loss).source
    assert "subgraph cluster_legend" in source
    for kind in ("parameter", "input", "intermediate", "output", "op"):
        assert f"legend_{kind} " in source
    assert "legend" not in viz.draw_graph(loss, legend=False).source
    assert "legend_layer " in viz.draw_graph(loss, collapse=True).source


def test_unnamed_output_constants_and_multiple_outputs():
    a = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    shared = a * 3.0
    s1, s2 = shared.sum(), shared.mean(axis=1)
    nodes, edges, _ = parse(viz.draw_graph(s1, s2))
    labels = [v[0] for v in nodes.values()]
    assert r"output0\nscalar float32" in labels and r"output1\n2 float32" in labels
    assert r"const 3\nscalar float32" in labels
    assert sum(lbl == "mul" for lbl in labels) == 1  # the shared op drawn once
    assert "mean axis=1" in labels
    assert len(nodes) == 8 and len(edges) == 7
    nodes, _, _ = parse(viz.draw_graph(s1))
    assert r"output\nscalar float32" in [v[0] for v in nodes.values()]


def test_op_labels_show_key_arguments():
    x = Tensor(np.ones((1, 6, 6, 2), np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 3, 2, 4), np.float32), requires_grad=True)
    outs = [
        F.conv2d(x, w, padding=1),
        F.conv2d(x, w, stride=(1, 2), padding="valid"),
        F.max_pool2d(x, 2),
        F.max_pool2d(x, 3, 1),
        F.avg_pool2d(x, (2, 3)),
        F.sum(x, axis=(1, 2), keepdims=True),
        F.cross_entropy(x.reshape(6, 12), np.arange(6), reduction="sum"),
        x[0, :, 1:5:2],
        x.reshape(-1, 4),
        F.transpose(x, (0, 3, 1, 2)),
    ]
    assert [viz.op_label(t.op) for t in outs] == [
        "conv2d stride=1 padding=1",
        "conv2d stride=(1, 2) padding=0",
        "max_pool2d 2x2",
        "max_pool2d 3x3 stride=1",
        "avg_pool2d 2x3",
        "sum axis=(1, 2) keepdims",
        "cross_entropy sum",
        "getitem [0, :, 1:5:2]",
        "reshape -1×4",
        "transpose axes=(0, 3, 1, 2)",
    ]


def test_generic_op_label_shows_simple_values_never_arrays():
    class Custom(Op):
        name = "custom"

    op = Custom()
    op.params = {"alpha": 0.5, "mode": "fast", "table": np.arange(100), "extra": None, "flag": True}
    assert viz.op_label(op) == "custom alpha=0.5 mode=fast flag=True"


# ---- clusters per layer -------------------------------------------------------------------
def test_scopes_become_clusters_and_params_are_named():
    rng = np.random.default_rng(2)
    x = Tensor(rng.random((3, 4), np.float32), name="input")
    w1 = Tensor(rng.random((4, 5), np.float32), requires_grad=True)
    w2 = Tensor(rng.random((5, 2), np.float32), requires_grad=True)
    shared = Tensor(np.float32(0.5), requires_grad=True)
    with scope("Dense(5, relu)"):
        h = (x @ w1 * shared * 2.0).relu()
    with scope("Dense(2, none)"):
        out = h @ w2 * shared
    loss = out.sum()
    graph = viz.draw_graph(loss, params={"fc1.weight": w1, "fc2.weight": w2, "scale": shared})
    nodes, _, clusters = parse(graph)
    clusters = cluster_labels(clusters)
    assert sorted(clusters.values()) == ["Dense(2, none)", "Dense(5, relu)"]
    by_label = {v[0].split("\\n")[0]: v[2] for v in nodes.values()}
    inverse = {label: name for name, label in clusters.items()}
    assert by_label["fc1.weight"] == inverse["Dense(5, relu)"]
    assert by_label["fc2.weight"] == inverse["Dense(2, none)"]
    assert by_label["scale"] is None  # used by two layers: drawn outside both
    assert by_label["input"] is None
    assert by_label["sum"] is None and by_label["output"] is None
    assert by_label["const 2"] == inverse["Dense(5, relu)"]  # a number used inside the layer
    assert sum(v[2] == inverse["Dense(5, relu)"] for v in nodes.values()) == 10  # w1, the 2, 4 ops and results
    assert sum(v[0] == "relu" and v[2] == inverse["Dense(5, relu)"] for v in nodes.values()) == 1


def test_cnn_has_one_cluster_per_layer_with_named_parameters():
    model, loss = small_cnn(fuse=False)
    nodes, edges, clusters = parse(viz.draw_graph(loss, params=dict(model.named_parameters())))
    clusters = cluster_labels(clusters)
    assert list(clusters.values()) == [layer.label() for layer in model.layers]
    names = {v[0].split("\\n")[0]: v[2] for v in nodes.values()}
    for name, _ in model.named_parameters():
        index = int(name.split(".")[1])
        assert clusters[names[name]] == model.layers[index].label()
    assert [v[0] for v in nodes.values() if v[2] is None and kind_of(v[1]) == "op"] == ["cross_entropy mean"]
    assert "conv2d stride=1 padding=1" in [v[0] for v in nodes.values()]
    # the model itself works as `params`
    assert parse(viz.draw_graph(loss, params=model))[0] == nodes


def test_same_labelled_layers_get_their_own_clusters():
    first, second = Dense(4, 4), Dense(4, 4)
    x = Tensor(np.ones((2, 4), np.float32))
    loss = second(first(x)).sum()
    _, _, clusters = parse(viz.draw_graph(loss))
    assert list(cluster_labels(clusters).values()) == ["Dense(4, relu)", "Dense(4, relu)"]


def test_fused_cnn_draws_after_backward():
    model, loss = small_cnn(fuse=True)
    loss.backward()  # frees the saved arrays; the structure stays drawable
    nodes, _, clusters = parse(viz.draw_graph(loss, params=model, show_grad=True))
    assert len(clusters) == 4  # Conv2D + Pooling fused into one op and one scope
    assert any("grad 3×3×1×2 norm" in v[0] for v in nodes.values())


# ---- the graph of a gradient ---------------------------------------------------------------
def gradient_graph():
    """Gradients of `(sin(x) * w).tanh()` (upstream ones) with respect to x and w, with their graph."""
    x = Tensor(np.linspace(-1.0, 1.0, 3), requires_grad=True, name="x")
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, name="w")
    y = (x.sin() * w).tanh()
    gx, gw = tg.grad(y, (x, w), grad_outputs=np.ones(3), create_graph=True)
    gx.name, gw.name = "dy/dx", "dy/dw"
    return x, w, gx, gw


def test_gradient_graph_draws_backward_ops_in_backward_clusters():
    x, w, gx, gw = gradient_graph()
    nodes, edges, clusters = parse(viz.draw_graph(gx, gw))
    labels = cluster_labels(clusters)
    assert sorted(labels.values()) == ["backward of mul", "backward of sin", "backward of tanh"]
    for found in clusters.values():  # styled as backward clusters, not as layers
        assert {k: v for k, v in found.items() if k != "label"} == viz.CLUSTER_STYLES["backward"]
    assert viz.CLUSTER_STYLES["backward"]["fillcolor"] != viz.CLUSTER_STYLES["layer"]["fillcolor"]
    inverse = {label: name for name, label in labels.items()}
    ops_in = {
        label: sorted(v[0] for v in nodes.values() if v[2] == name and kind_of(v[1]) == "op")
        for label, name in inverse.items()
    }
    # tanh' = (1 - y*y) * g; mul's backward: g * w for x, g * sin(x) for w; sin' = cos(x) * g
    assert ops_in == {"backward of tanh": ["mul", "mul", "sub"], "backward of mul": ["mul", "mul"],
                      "backward of sin": ["cos", "mul"]}  # fmt: skip
    forward = sorted(v[0] for v in nodes.values() if v[2] is None and kind_of(v[1]) == "op")
    assert forward == ["mul", "sin", "tanh"]  # the forward pass the backward reuses, unclustered
    by_label = {v[0].split("\\n")[0]: v for v in nodes.values()}
    assert by_label["dy/dw"][2] == inverse["backward of mul"] and by_label["dy/dx"][2] == inverse["backward of sin"]
    assert kind_of(by_label["x"][1]) == kind_of(by_label["w"][1]) == "parameter"
    ids = {v[0].split("\\n")[0]: k for k, v in nodes.items()}
    assert (ids["w"], ids["mul"]) in [(s, d) for s, d, _ in edges]  # w feeds the forward mul


def test_gradient_graph_legend_and_layers_next_to_backward():
    x, w, gx, gw = gradient_graph()
    source = viz.draw_graph(gw).source
    assert "subgraph cluster_legend_backward" in source and "legend_backward " in source
    assert "legend_backward" not in viz.draw_graph(gw, legend=False).source
    *_, loss = small_expression()
    assert "backward" not in viz.draw_graph(loss).source  # first-order graphs: no backward legend
    with scope("Dense(3, tanh)"):
        y = (x * w).tanh()
    (g,) = tg.grad(y, w, grad_outputs=np.ones(3), create_graph=True)
    _, _, clusters = parse(viz.draw_graph(g))
    kinds = {
        found["label"]: "backward" if found["fillcolor"] == viz.CLUSTER_STYLES["backward"]["fillcolor"] else "layer"
        for found in clusters.values()
    }
    assert kinds == {"Dense(3, tanh)": "layer", "backward of tanh": "backward", "backward of mul": "backward"}


def test_gradient_graph_collapsed_draws_one_backward_node_per_op():
    *_, gw = gradient_graph()
    nodes, edges, clusters = parse(viz.draw_graph(gw, collapse=True))
    assert clusters == {}
    backward = sorted(v[0] for v in nodes.values() if kind_of(v[1]) == "backward")
    assert backward == [r"backward of mul\nmul", r"backward of tanh\nmul → sub → mul"]
    assert "legend_backward [" in viz.draw_graph(gw, collapse=True).source


def test_gradient_graph_renders_with_dot(tmp_path, dot):
    *_, gx, gw = gradient_graph()
    path = viz.render_graph(viz.draw_graph(gx, gw), tmp_path / "grad.svg")
    texts = svg_texts(path)
    assert {"backward of tanh", "backward of mul", "backward of sin", "backward of <op>", "dy/dx"} <= set(texts)


def test_example_draws_a_gradient_and_differentiates_it_again(tmp_path, capsys):
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "graph.py")
    spec = importlib.util.spec_from_file_location("graph_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main([str(tmp_path / "grad.dot"), "--gradient"]) == 0
    source = (tmp_path / "grad.dot").read_text(encoding="utf-8")
    for label in ("backward of tanh", "backward of mul", "backward of sin", "d sum / dw"):
        assert f'label="{label}' in source
    x, w = np.array([-1.0, 0.5, 2.0]), np.array([0.5, -1.0, 2.0])
    t = np.tanh(np.sin(x) * w)
    second = -2 * np.sin(x) ** 2 * t * (1 - t * t)  # d/dw of sin(x) * (1 - tanh^2)
    assert f"d/dw sum(d sum / dw) = {np.round(second, 4)}" in capsys.readouterr().out


# ---- labels with DOT's special characters ---------------------------------------------------
NASTY = 'a\\b "quoted" <i>x</i> \\n\nsecond line\\'  # backslashes (one at the end), quotes, <...>, \n, a newline


def svg_texts(path) -> list[str]:
    """The text lines of a rendered SVG, unescaped."""
    return [e.text for e in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text")]


def special_graph():
    x = Tensor(np.ones(2), requires_grad=True, name=NASTY)
    html = Tensor(np.ones(2), name="<b>html</b>")  # a whole label in <...> would be an HTML label

    class Custom(Op):
        name = "custom"

        def forward(self, a, b, mode):
            return a + b

        def backward(self, grad):
            return grad, grad

    with scope('<Layer> "x\\y"'):
        y = Custom.apply(x, html, mode='say "hi"\\now')
    return y


def test_special_characters_are_escaped_in_the_dot_source():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # graphviz warns about labels it cannot quote (odd final backslash)
        graph = viz.draw_graph(special_graph())
    nodes, _, clusters = parse(graph)
    labels = [v[0] for v in nodes.values()]
    # in DOT: backslashes doubled, quotes escaped (undone by parse), newlines as \n, <...> quoted as text
    assert r'a\\b "quoted" <i>x</i> \\n\nsecond line\\\n2 float64' in labels
    assert r"<b>html</b>\n2 float64" in labels
    assert r'custom mode=say "hi"\\now' in labels
    assert cluster_labels(clusters) == {"cluster_0": r'<Layer> "x\\y"'}
    assert '"<b>html</b>\\n2 float64"' in graph.source  # quoted: not an HTML label


def test_special_characters_render_literally(tmp_path, dot):
    path = viz.render_graph(viz.draw_graph(special_graph()), tmp_path / "special.svg")
    texts = svg_texts(path)
    for line in ('a\\b "quoted" <i>x</i> \\n', "second line\\", "<b>html</b>", 'custom mode=say "hi"\\now',
                 '<Layer> "x\\y"'):  # fmt: skip
        assert line in texts


# ---- show_grad and collapse ---------------------------------------------------------------
def test_show_grad_gives_gradient_shape_and_norm():
    x, w, b, loss = small_expression()
    hidden = (x @ w).retain_grad()
    loss = (hidden + b).relu().sum()
    loss.backward()
    nodes, _, _ = parse(viz.draw_graph(loss, params={"w": w}, show_grad=True))
    all_labels = [v[0] for v in nodes.values()]
    labels = {label.split("\\n")[0]: label for label in all_labels}
    assert labels["w"] == rf"w\n3×4 float32\ngrad 3×4 norm {np.linalg.norm(w.grad):.4g}"
    assert labels["b"] == rf"b\n4 float32\ngrad 4 norm {np.linalg.norm(b.grad):.4g}"
    assert rf"2×4 float32\ngrad 2×4 norm {np.linalg.norm(hidden.grad):.4g}" in all_labels  # retained
    assert "grad" not in labels["x"]
    assert sum("grad" in label for label in all_labels) == 3  # x, other intermediates and loss have none
    assert r"\ngrad " not in viz.draw_graph(loss).source


def test_collapse_draws_one_node_per_layer():
    model, loss = small_cnn(fuse=False)
    loss.backward()
    nodes, edges, clusters = parse(viz.draw_graph(loss, params=model, collapse=True, show_grad=True))
    assert clusters == {}
    layers = {k: v[0] for k, v in nodes.items() if kind_of(v[1]) == "layer"}
    assert list(layers) == [f"layer{i}" for i in range(5)]
    assert [label.split("\\n")[0] for label in layers.values()] == [layer.label() for layer in model.layers]
    assert layers["layer0"].split("\\n")[1:3] == ["conv2d → relu", "20 params"]
    assert "grad norm" in layers["layer0"]
    others = sorted(v[0].split("\\n")[0] for k, v in nodes.items() if k not in layers)
    assert others == ["cross_entropy mean", "input", "loss"]
    assert [(s, d, a.get("label", "")) for s, d, a in edges] == [
        ("t0", "layer0", ""),
        ("layer0", "layer1", "2×8×8×2"),
        ("layer1", "layer2", "2×4×4×2"),
        ("layer2", "layer3", "2×32"),
        ("layer3", "layer4", "2×5"),
        ("layer4", "op7", "2×3"),
        ("op7", "t14", ""),
    ]


# ---- validation ---------------------------------------------------------------------------
def test_bad_arguments():
    *_, loss = small_expression()
    with pytest.raises(TypeError, match=r"outputs\[1\]"):
        viz.draw_graph(loss, np.ones(3))
    with pytest.raises(TypeError, match="separate arguments"):
        viz.draw_graph([loss])
    with pytest.raises(ValueError, match="at least one"):
        viz.draw_graph()
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(loss, rankdir="sideways")
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        viz.draw_graph(loss, params={"w": np.ones(3)})
    with pytest.raises(TypeError, match="params"):
        viz.draw_graph(loss, params=[loss])
    assert "rankdir=TB" in viz.draw_graph(loss, rankdir="tb").source


def test_render_rejects_unknown_suffix_and_bad_graph(tmp_path):
    *_, loss = small_expression()
    path = tmp_path / "graph.jpeg"
    with pytest.raises(ValueError, match=re.escape(str(path))):
        viz.render_graph(loss, path)
    with pytest.raises(TypeError, match="graph"):
        viz.render_graph("digraph {}", tmp_path / "g.dot")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        viz.render_graph(loss, tmp_path / "missing" / "g.dot")


# ---- rendering ----------------------------------------------------------------------------
@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_renders_with_dot(tmp_path, suffix, magic, dot):
    model, loss = small_cnn()
    path = tmp_path / f"graph{suffix}"
    path.write_bytes(b"old")
    assert viz.render_graph(viz.draw_graph(loss, params=model), path) == str(path)
    data = path.read_bytes()
    assert (magic in data[:2000]) if suffix == ".svg" else data.startswith(magic)
    assert os.listdir(tmp_path) == [path.name]  # replaced atomically: no temp file left
    if suffix == ".svg":
        assert "layers.0.filters" in data.decode() and "Dense(3, softmax)" in data.decode()


def test_dot_source_needs_no_programs(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    *_, loss = small_expression()
    path = loss.render_graph(tmp_path / "g.dot", show_grad=True)
    with open(path, encoding="utf-8") as f:
        assert f.read() == viz.draw_graph(loss, show_grad=True).source


def test_missing_dot_program_writes_source_and_says_what_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    *_, loss = small_expression()
    graph = viz.draw_graph(loss)
    with pytest.raises(RuntimeError) as info:
        viz.render_graph(graph, tmp_path / "graph.png")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install", "graph.dot"):
        assert hint in message
    assert not (tmp_path / "graph.png").exists()
    assert (tmp_path / "graph.dot").read_text(encoding="utf-8") == graph.source


# ---- big graphs ---------------------------------------------------------------------------
def test_ten_thousand_op_chain_does_not_recurse(tmp_path):
    h = Tensor(np.ones(2, np.float32), requires_grad=True)
    for i in range(10_000):
        h = h.tanh() if i % 2 else h.relu()
    graph = viz.draw_graph(h, legend=False)
    source = viz.render_graph(graph, tmp_path / "chain.dot")
    with open(source, encoding="utf-8") as f:
        text = f.read()
    assert text.count("[label=") == 20_001  # 10,000 ops + 10,001 tensors
    assert text.count(" -> ") == 20_000
    assert len(parse(viz.draw_graph(h, collapse=True, legend=False))[0]) == 20_001  # no scopes: nothing to collapse
