"""Computation graphs as pictures: `draw_graph(loss)` returns a `graphviz.Digraph`.

    graph = draw_graph(loss, params=dict(model.named_parameters()), show_grad=True)
    render_graph(graph, "cnn.svg")          # .svg, .png, .pdf need graphviz's `dot`; .dot does not
    graph                                   # in Jupyter: displays inline

Tensors are boxes (parameters blue, inputs and constants grey and dashed, intermediates white,
outputs green with a double border), ops are yellow ellipses labelled with their key arguments,
and the ops recorded inside a layer's forward (its `scope`) are grouped in a grey cluster labelled
with the layer. The graph of a gradient taken with `create_graph=True` shows what the backward
pass recorded: each op's backward ops sit in a red cluster "backward of <op>". `collapse=True`
draws one node per layer (or backward) instead. The walk is iterative, so graphs of any depth work,
and node ids follow the visit order (inputs first), so the DOT text is stable. The drawing is built
through the graphviz package's API, which quotes and escapes the DOT; labels are literal text.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import graphviz
import numpy as np

from .autograd import Op, topological_order
from .autograd.engine import BACKWARD_SCOPE
from .files import write_atomic
from .tensor import Tensor

RANKDIRS = ("LR", "RL", "TB", "BT")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
INSTALL_HINT = (
    "install the graphviz programs: Debian/Ubuntu `sudo apt-get install graphviz`, "
    "macOS Homebrew `brew install graphviz`, conda `conda install -c conda-forge graphviz` "
    "(`pip install graphviz` installs only the Python bindings, not `dot`)"
)

# Node styles by kind; the legend shows one node of each.
STYLES: dict[str, dict[str, str]] = {
    "parameter": {"shape": "box", "style": "filled", "fillcolor": "#cfe2f3", "color": "#3d78b5"},
    "input": {"shape": "box", "style": "filled,dashed", "fillcolor": "#eeeeee", "color": "#777777"},
    "intermediate": {"shape": "box", "style": "rounded", "color": "#999999"},
    "output": {"shape": "box", "style": "filled,bold", "fillcolor": "#d5ecd4", "color": "#2e7d32", "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff2cc", "color": "#b7950b"},
    "layer": {"shape": "box3d", "style": "filled", "fillcolor": "#e8daf5", "color": "#7b4fa0"},
    "backward": {"shape": "box3d", "style": "filled", "fillcolor": "#fbe3d6", "color": "#c0504d"},
}
LEGEND = {
    "parameter": "parameter\n(leaf, requires grad)",
    "input": "input / constant\n(leaf, no grad)",
    "intermediate": "intermediate",
    "output": "output",
    "op": "op + key args",
    "layer": "layer (collapsed)",
    "backward": "backward of an op\n(collapsed)",
}
# Clusters by the kind of scope: a layer's forward, or the ops one op's backward recorded
# (under `create_graph=True` the engine scopes them "backward of <op name>").
BACKWARD_PREFIX = BACKWARD_SCOPE
CLUSTER_STYLES: dict[str, dict[str, str]] = {
    "layer": {"style": "rounded,filled", "fillcolor": "#f7f7f7", "color": "#aaaaaa", "labeljust": "l"},
    "backward": {
        "style": "rounded,filled",
        "fillcolor": "#fdf0ea",
        "color": "#c0504d",
        "fontcolor": "#a0352f",
        "labeljust": "l",
    },
}
BACKWARD_LEGEND = ("backward of <op>", "ops recorded by\nthat op's backward")  # cluster label, text


# ---- labels --------------------------------------------------------------------------------
def _dot_label(text: str) -> str:
    """Plain text (lines separated by "\\n") as a literal DOT label: backslashes and `<...>` lose their
    special meaning (graphviz.escape), newlines become DOT line breaks; graphviz quotes the rest."""
    return graphviz.nohtml(graphviz.escape(text).replace("\n", "\\n"))


def _lines(*lines: str) -> str:
    """One label from lines (empty lines left out)."""
    return "\n".join(line for line in lines if line)


def format_shape(shape: tuple[int, ...]) -> str:
    """`(32, 28, 28, 8)` -> `32×28×28×8`; `()` -> `scalar`."""
    return "×".join(map(str, shape)) if shape else "scalar"


def _simple(value: Any) -> str | None:
    """A short text for a scalar, string or (nested) tuple of them; None for anything else."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, str):
        return value if len(value) <= 30 else value[:29] + "…"
    if isinstance(value, (tuple, list)) and len(value) <= 8:
        items = [_simple(v) for v in value]
        if None in items:
            return None
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return None


def _pair(value: Any) -> str:
    """Strides, kernels and paddings: equal parts collapse, (1, 1) -> 1, ((1, 1), (1, 1)) -> 1."""
    if isinstance(value, (tuple, list)) and value:
        parts = [_pair(v) for v in value]
        return parts[0] if len(set(parts)) == 1 else "(" + ", ".join(parts) + ")"
    return _simple(value) or "?"


def _axis(params: Mapping[str, Any]) -> str:
    axis = params.get("axis")
    if axis is None:
        return ""
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        axis = axis[0]
    return f"axis={_simple(axis)}"


def _index(index: Any) -> str:
    """A NumPy index as written: `[:, 0]`, `[1:3, ...]`; index arrays show as `[int64 5]`."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            bounds = ("" if v is None else str(v) for v in (p.start, p.stop))
            out.append(":".join(bounds) + ("" if p.step is None else f":{p.step}"))
        elif p is None:
            out.append("None")
        elif p is Ellipsis:
            out.append("...")
        elif isinstance(p, np.ndarray):
            out.append(f"<{p.dtype} {format_shape(p.shape)}>")
        else:
            out.append(_simple(p) or "?")
    return "[" + ", ".join(out) + "]"


def _pool(p: Mapping[str, Any]) -> str:
    kernel = p.get("kernel", (2, 2))
    stride = p.get("stride", kernel)
    text = "x".join(map(str, kernel)) if isinstance(kernel, tuple) else str(kernel)
    if tuple(stride) != tuple(kernel):
        text += f" stride={_pair(stride)}"
    padding = _pair(p.get("padding", 0))
    return text if padding == "0" else f"{text} padding={padding}"


def _loss(p: Mapping[str, Any]) -> str:
    margin = p.get("margin", 1.0)
    return str(p.get("reduction", "mean")) + ("" if margin == 1.0 else f" margin={margin:g}")


def _reduce(p: Mapping[str, Any]) -> str:
    return " ".join(filter(None, [_axis(p), "keepdims" if p.get("keepdims") else ""]))


# Arguments given per spatial axis: equal parts collapse (stride=(1, 1) shows as stride=1).
PAIR_KEYS = {"stride", "padding", "kernel", "kernel_size", "pool", "dilation"}


# Arguments left out of labels at their usual value (a plain convolution needs no `dilation=1 groups=1`).
DEFAULTS = {"dilation": "1", "groups": "1", "output_padding": "0", "count_include_pad": "True"}


def _generic(p: Mapping[str, Any]) -> str:
    """key=value for every simple value (arrays, Tensors, None and usual defaults are left out)."""
    items = ((k, _pair(v) if k in PAIR_KEYS else _simple(v)) for k, v in p.items() if v is not None)
    return " ".join(f"{k}={v}" for k, v in items if v is not None and v != "?" and DEFAULTS.get(k) != v)


OP_FORMATS = {
    "max_pool2d": _pool,
    "avg_pool2d": _pool,
    "cross_entropy": _loss,
    "hinge": _loss,
    "sum": _reduce,
    "mean": _reduce,
    "max": _reduce,
    "softmax": _axis,
    "log_softmax": _axis,
    "reshape": lambda p: format_shape(tuple(p["shape"])),
    "getitem": lambda p: _index(p.get("index")),
}


def op_label(op: Op) -> str:
    """The op's name and key arguments: `conv2d stride=1 padding=1`, `max_pool2d 2x2`, `sum axis=1`."""
    name = op.name if op.name != "op" else type(op).__name__
    params = getattr(op, "params", None) or {}
    try:
        args = OP_FORMATS.get(op.name, _generic)(params)
    except (TypeError, ValueError, AttributeError):  # unusual arguments: fall back to key=value
        args = _generic(params)
    if len(args) > 60:
        args = args[:59] + "…"
    return f"{name} {args}" if args else name


# ---- the walk ------------------------------------------------------------------------------
def _param_names(params: Any) -> dict[int, str]:
    if params is None:
        return {}
    if not isinstance(params, Mapping) and hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())  # a Module: its own dotted names
    if not isinstance(params, Mapping):
        raise TypeError(
            f"draw_graph: `params` must map names to Tensors (e.g. dict(model.named_parameters())), "
            f"got {type(params).__name__}"
        )
    names = {}
    for key, value in params.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"draw_graph: `params[{key!r}]` must be a Tensor, got {type(value).__name__}")
        names.setdefault(id(value), str(key))
    return names


class _Layout:
    """Everything draw_graph decides before writing DOT: ids, kinds, names, groups."""

    def __init__(self, outputs: tuple[Tensor, ...], names: dict[int, str]) -> None:
        self.tensors = topological_order(outputs, grad_only=False)
        self.tid = {id(t): f"t{i}" for i, t in enumerate(self.tensors)}
        self.ops = [t._ctx for t in self.tensors if t._ctx is not None]
        self.oid = {id(op): f"op{i}" for i, op in enumerate(self.ops)}
        self.output_ids = {id(t) for t in outputs}
        self.dtype_names: dict[np.dtype, str] = {}
        self.names = dict(names)
        for i, t in enumerate(outputs):
            if id(t) not in self.names:
                default = "output" if len(outputs) == 1 else f"output{i}"
                self.names[id(t)] = t.name or default
        # Groups: one per scope object (one per layer call, so same-named layers stay apart).
        self.groups: dict[int, str] = {}  # group key -> label, in order of first appearance
        self.op_group: dict[int, int | None] = {}
        for op in self.ops:
            key = None if op.scope is None else id(op.scope)
            if key is not None:
                self.groups.setdefault(key, str(op.scope))
            self.op_group[id(op)] = key
        self.group_kind = {
            key: "backward" if label.startswith(BACKWARD_PREFIX) else "layer" for key, label in self.groups.items()
        }
        # A parameter or constant used only inside one layer is drawn in (or collapsed into) it.
        consumers: dict[int, set[int | None]] = {}
        for op in self.ops:
            for p in op.parents:
                consumers.setdefault(id(p), set()).add(self.op_group[id(op)])
        self.tensor_group: dict[int, int | None] = {}
        for t in self.tensors:
            if t._ctx is not None:
                self.tensor_group[id(t)] = self.op_group[id(t._ctx)]
            elif (self.kind(t) == "parameter" or self.is_constant(t)) and len(consumers.get(id(t), ())) == 1:
                self.tensor_group[id(t)] = next(iter(consumers[id(t)]))
            else:
                self.tensor_group[id(t)] = None

    def kind(self, t: Tensor) -> str:
        if id(t) in self.output_ids:
            return "output"
        if t._ctx is not None:
            return "intermediate"
        return "parameter" if t.requires_grad else "input"

    def is_constant(self, t: Tensor) -> bool:
        """An unnamed one-element leaf without grad: a number in an expression, like the 2 in `x * 2`."""
        return t._ctx is None and not t.requires_grad and t.size == 1 and not (self.names.get(id(t)) or t.name)

    def tensor_label(self, t: Tensor, show_grad: bool) -> str:
        name = self.names.get(id(t)) or t.name
        if self.is_constant(t) and id(t) not in self.output_ids:
            name = f"const {t.data.item():g}"
        grad = ""
        if show_grad and t.grad is not None:
            g = np.asarray(t.grad)
            grad = f"grad {format_shape(g.shape)} norm {float(np.linalg.norm(g.ravel())):.4g}"
        dtype = self.dtype_names.get(t.dtype) or self.dtype_names.setdefault(t.dtype, str(t.dtype))
        return _lines(name or "", f"{format_shape(t.shape)} {dtype}", grad)


# ---- draw ----------------------------------------------------------------------------------
def draw_graph(
    *outputs: Tensor,
    params: Mapping[str, Tensor] | None = None,
    show_grad: bool = False,
    collapse: bool = False,
    rankdir: str = "LR",
    legend: bool = True,
) -> graphviz.Digraph:
    """The computation graph behind `outputs` as a `graphviz.Digraph` (displays inline in Jupyter).

    params: names for tensors, e.g. `dict(model.named_parameters())` (or the model itself);
        otherwise a tensor's `.name` is shown, and unnamed outputs are labelled `output`.
    show_grad: show each tensor's gradient shape and L2 norm (after `backward()`).
    collapse: one node per layer (scope) instead of one per op; unscoped ops stay as they are.
        The ops a backward pass recorded (`tg.grad(..., create_graph=True)`) are scoped
        "backward of <op>": drawn in red clusters (or red nodes when collapsed).
    rankdir: data flow direction, "LR" (left to right), "TB", "RL" or "BT".
    legend: add a small cluster explaining the node kinds.
    """
    if not outputs:
        raise ValueError("draw_graph: give at least one output Tensor, e.g. draw_graph(loss)")
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            hint = "; pass several outputs as separate arguments" if isinstance(t, (list, tuple)) else ""
            raise TypeError(f"draw_graph: `outputs[{i}]` must be a Tensor, got {type(t).__name__}{hint}")
    if not isinstance(rankdir, str) or rankdir.upper() not in RANKDIRS:
        raise ValueError(f"draw_graph: `rankdir` must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    layout = _Layout(outputs, _param_names(params))

    graph = graphviz.Digraph("tinygrad_np", graph_attr={"rankdir": rankdir.upper(), "fontname": "Helvetica"})
    graph.attr("node", fontname="Helvetica", fontsize="10", height="0.3")
    graph.attr("edge", color="#555555", arrowsize="0.6", fontname="Helvetica", fontsize="9")
    (_draw_collapsed if collapse else _draw_ops)(graph, layout, bool(show_grad))
    if legend:
        _draw_legend(graph, layout, collapse)
    return graph


def _add_node(graph: graphviz.Digraph, node_id: str, label: str, kind: str) -> None:
    graph.node(node_id, _dot_label(label), **STYLES[kind])


def _draw_ops(graph: graphviz.Digraph, layout: _Layout, show_grad: bool) -> None:
    """One node per tensor and per op; tensors made inside a layer (or a backward) sit in its cluster."""
    members: dict[int | None, list[tuple[str, str, str]]] = {key: [] for key in layout.groups}
    members[None] = []
    for t in layout.tensors:
        group = members[layout.tensor_group[id(t)]]
        if t._ctx is not None:
            group.append((layout.oid[id(t._ctx)], op_label(t._ctx), "op"))
        group.append((layout.tid[id(t)], layout.tensor_label(t, show_grad), layout.kind(t)))
    for i, (key, label) in enumerate(layout.groups.items()):
        style = CLUSTER_STYLES[layout.group_kind[key]]
        with graph.subgraph(name=f"cluster_{i}") as cluster:
            cluster.attr("graph", label=_dot_label(label), **style)
            for node in members[key]:
                _add_node(cluster, *node)
    for node in members[None]:
        _add_node(graph, *node)
    edges = []
    for t in layout.tensors:
        if t._ctx is not None:
            oid = layout.oid[id(t._ctx)]
            edges.extend((layout.tid[id(p)], oid) for p in t._ctx.parents)
            edges.append((oid, layout.tid[id(t)]))
    graph.edges(edges)


def _layer_label(label: str, ops: list[Op], absorbed: list[Tensor], show_grad: bool) -> str:
    absorbed = [t for t in absorbed if t.requires_grad]  # parameters (constants are not counted)
    names: list[str] = []
    for op in ops:
        if not names or names[-1] != op.name:
            names.append(op.name)
    summary = " → ".join(names) if len(names) <= 4 else f"{len(ops)} ops"
    count = sum(t.size for t in absorbed)
    grad = ""
    grads = [np.asarray(t.grad) for t in absorbed if t.grad is not None]
    if show_grad and grads:
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
        grad = f"grad norm {norm:.4g}"
    return _lines(label, summary, f"{count:,} params" if absorbed else "", grad)


def _draw_collapsed(graph: graphviz.Digraph, layout: _Layout, show_grad: bool) -> None:
    """One node per layer; unscoped ops, leaves outside layers and outputs drawn as usual."""
    layer_id = {key: f"layer{i}" for i, key in enumerate(layout.groups)}
    layer_ops: dict[int, list[Op]] = {key: [] for key in layout.groups}
    for op in layout.ops:
        key = layout.op_group[id(op)]
        if key is not None:
            layer_ops[key].append(op)
    absorbed: dict[int, list[Tensor]] = {key: [] for key in layout.groups}

    def node_of(t: Tensor) -> str:
        """The drawn node standing for tensor `t` (its own, or its layer's)."""
        key = layout.tensor_group[id(t)]
        return layout.tid[id(t)] if key is None or id(t) in layout.output_ids else layer_id[key]

    for t in layout.tensors:
        key = layout.tensor_group[id(t)]
        if key is not None and t._ctx is None:
            absorbed[key].append(t)
    for key, label in layout.groups.items():
        layer_label = _layer_label(label, layer_ops[key], absorbed[key], show_grad)
        _add_node(graph, layer_id[key], layer_label, layout.group_kind[key])
    for t in layout.tensors:
        op = t._ctx
        if op is not None and layout.op_group[id(op)] is None:
            _add_node(graph, layout.oid[id(op)], op_label(op), "op")
        if node_of(t) == layout.tid[id(t)]:
            _add_node(graph, layout.tid[id(t)], layout.tensor_label(t, show_grad), layout.kind(t))
    edges: dict[tuple[str, str], str] = {}
    for t in layout.tensors:
        op = t._ctx
        if op is None:
            continue
        key = layout.op_group[id(op)]
        dst = layout.oid[id(op)] if key is None else layer_id[key]
        for p in op.parents:
            src = node_of(p)
            if src != dst:
                edges.setdefault((src, dst), "" if src == layout.tid[id(p)] else format_shape(p.shape))
        if node_of(t) == layout.tid[id(t)]:
            edges.setdefault((dst, layout.tid[id(t)]), "")
    for (src, dst), label in edges.items():
        graph.edge(src, dst, label=label or None)


def _draw_legend(graph: graphviz.Digraph, layout: _Layout, collapse: bool) -> None:
    """A cluster with one node of each kind, and the backward cluster's look when the graph has one."""
    kinds = ["parameter", "input", "intermediate", "output", "op"]
    if collapse:
        kinds = ["layer", "parameter", "input", "output", "op"]
    backward = "backward" in layout.group_kind.values()
    if backward and collapse:
        kinds.insert(1, "backward")
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr("graph", label="legend", fontsize="10", style="dashed", color="#bbbbbb")
        for kind in kinds:
            _add_node(legend, f"legend_{kind}", LEGEND[kind], kind)
        if backward and not collapse:
            title, text = BACKWARD_LEGEND
            with legend.subgraph(name="cluster_legend_backward") as cluster:
                cluster.attr("graph", label=_dot_label(title), **CLUSTER_STYLES["backward"])
                cluster.node("legend_backward", _dot_label(text), shape="plaintext")
            kinds.append("backward")
        # invisible edges keep the legend in one row (one column with rankdir TB)
        for a, b in zip(kinds, kinds[1:]):
            legend.edge(f"legend_{a}", f"legend_{b}", style="invis")


# ---- render --------------------------------------------------------------------------------
def render_graph(graph: graphviz.Digraph | Tensor, path: str | os.PathLike, **draw_options: Any) -> str:
    """Write `graph` (a Digraph, or a Tensor drawn with `draw_options`) to `path`; return the path.

    The suffix chooses the format: `.svg`, `.png`, `.pdf` (run graphviz's `dot`) or `.dot`/`.gv`
    (the DOT source, no programs needed). Files are replaced atomically. If `dot` is missing,
    the DOT source is written beside `path` (same name, `.dot`) and a RuntimeError says what to install.
    """
    if isinstance(graph, Tensor):
        graph = draw_graph(graph, **draw_options)
    elif draw_options:
        raise TypeError(f"render_graph: options {sorted(draw_options)} apply only when drawing a Tensor")
    if not isinstance(graph, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        raise TypeError(f"render_graph: `graph` must be a graphviz Digraph or a Tensor, got {type(graph).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render_graph: `path` must be a file path, got {type(path).__name__}")
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"render_graph: cannot tell the format of `path` {path!r} from its suffix {suffix!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    source = graph.source.encode("utf-8")
    fmt = FORMATS[suffix]
    if fmt is None:
        write_atomic(path, source, "render_graph")
        return path
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        dot_path = os.path.splitext(path)[0] + ".dot"
        write_atomic(dot_path, source, "render_graph")
        raise RuntimeError(
            f"render_graph: cannot write {path!r}: graphviz's `dot` program was not found on PATH. "
            f"The DOT source was written to {dot_path!r} (render it later with "
            f"`dot -T{fmt} {dot_path} -o {path}`). To render directly, {INSTALL_HINT}."
        ) from None
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode("utf-8", "replace").strip()
        raise RuntimeError(f"render_graph: `dot` failed to render {path!r}: {detail or err}") from None
    write_atomic(path, data, "render_graph")
    return path


def _tensor_draw_graph(self: Tensor, *others: Tensor, **options: Any) -> graphviz.Digraph:
    """`loss.draw_graph(...)`: see `tinygrad_np.viz.draw_graph`."""
    return draw_graph(self, *others, **options)


def _tensor_render_graph(self: Tensor, path: str | os.PathLike, **options: Any) -> str:
    """`loss.render_graph("graph.svg", ...)`: see `tinygrad_np.viz.render_graph`."""
    return render_graph(self, path, **options)


_tensor_draw_graph.__doc__ = draw_graph.__doc__
Tensor.draw_graph = _tensor_draw_graph
Tensor.render_graph = _tensor_render_graph
