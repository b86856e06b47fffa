"""`leniency --help` and argument errors answer at once: building the command line loads none of the heavy
libraries (the model, the tables, the charts), which each command imports when it starts work."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "mesa",
    "pandas",
    "plotly",
    "scipy",
    "pyarrow",
    "matplotlib",
    "solara",
    "numpy",
    "pydantic",
    "ema_workbench",
    "sklearn",
)


def test_the_command_line_loads_no_heavy_library() -> None:
    code = (
        "import sys, sim.cli\n"
        "sim.cli.build_parser()\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"building the parser imported: {out.stdout.strip()}"
