"""The research notebooks run top to bottom on a fresh set-up and are stored without outputs.

Each notebook is executed with nbclient on the ``python3`` kernel, which jupyter_client
starts with this interpreter (the venv's), from the ``notebooks/`` folder as Jupyter
would. A notebook must finish in well under the issue's three minutes on two cores.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("01_quickstart", "02_evaluation", "03_agents")
TIME_LIMIT_S = 150  # the issue allows 3 minutes; keep a margin for slow CI machines


def _read(name: str):
    import nbformat

    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_at_least_three_notebooks():
    assert len(sorted(NOTEBOOKS.glob("*.ipynb"))) >= 3
    for name in NAMES:
        assert (NOTEBOOKS / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    import nbformat

    notebook = _read(name)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name):
    from nbclient import NotebookClient

    notebook = _read(name)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=TIME_LIMIT_S,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.monotonic()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.monotonic() - started
    assert elapsed < TIME_LIMIT_S, f"{name} took {elapsed:.0f} s"
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    rich = [out for out in outputs if out.output_type in ("display_data", "execute_result")]
    if name in ("01_quickstart", "02_evaluation"):
        # the rendered conversation is in the output, as HTML
        assert any('class="kf-view"' in out.get("data", {}).get("text/html", "") for out in rich)
    # every notebook draws at least one figure
    assert any("image/png" in out.get("data", {}) for out in rich)
