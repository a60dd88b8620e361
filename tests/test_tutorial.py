"""docs/tutorial.ipynb runs top to bottom, quickly, with the library as it is (so it cannot go stale)."""

from __future__ import annotations

import os
import shutil
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NOTEBOOK = os.path.join(ROOT, "docs", "tutorial.ipynb")
HINT = "pip install -e '.[test]' (nbclient, nbformat, ipykernel and ipywidgets run the tutorial notebook)"


def test_tutorial_notebook_executes_in_under_60_seconds():
    nbformat = pytest.importorskip("nbformat", reason=HINT)
    nbclient = pytest.importorskip("nbclient", reason=HINT)
    pytest.importorskip("ipykernel", reason=HINT)
    pytest.importorskip("ipywidgets", reason=HINT)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "commit it unexecuted"
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": ROOT}})  # fmt: skip
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    seconds = time.perf_counter() - start
    assert seconds < 60, f"the tutorial took {seconds:.0f} s"

    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    text = "".join(out.get("text", "") for out in outputs)
    mimes = [mime for out in outputs for mime in out.get("data", {})]
    assert "matches the hand-derived gradients" in text
    assert "gradcheck: True" in text and "gradcheck: gradient of input 0" in text
    assert "anomaly in forward: op 'log'" in text
    assert "epoch 3/3" in text and "test accuracy" in text
    assert mimes.count("image/png") == 2  # training curves and misclassified digits
    assert "TqdmWarning" not in text
    assert mimes.count("application/vnd.jupyter.widget-view+json") == 3  # fit's progress bar, once per epoch
    if shutil.which("dot"):
        assert "image/svg+xml" in mimes  # the graph, drawn inline
    else:
        assert "digraph" in text
