"""``mixite --help`` stays light: importing the CLI loads no heavy dependency (structural check).

The command modules import their heavy dependencies inside the commands, so that every command
pays only for what it uses; the catalogues the help shows come from the light ``mixite.choices``,
and no help text embeds a parameter's value (the parameters are read when a command runs).
The same holds for the demo's list of steps (``mixite.demo``).
"""

from __future__ import annotations

import subprocess
import sys

#: Modules that ``import mixite.cli`` must not load (each costs from 0.1 to 1 s at start-up).
HEAVY = (
    "scipy",
    "matplotlib",
    "numba",
    "geopandas",
    "duckdb",
    "mixite.synth.generateur",
    "mixite.indicators.inference",
    "dask",
    "distributed",
    "mixite.national.runner",
)


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


def test_importing_the_cli_loads_no_heavy_module() -> None:
    loaded = _modules_after("import mixite.cli")
    assert "mixite.cli.allocation" in loaded  # the commands are registered
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == []


def test_importing_the_cli_parses_no_parameter_file() -> None:
    # The help texts name the parameters (« solvabilite.taux_effort_max ») instead of showing
    # their values, so that `mixite --help` does not load the YAML files.
    code = (
        "import mixite.params as p; import mixite.cli; "
        "print(p.default_parameters.cache_info().currsize)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["0"]


def test_the_probe_sees_a_heavy_import() -> None:
    # the check above would catch a command module importing a computation at module level
    loaded = _modules_after("import mixite.cli; import mixite.synth.generateur")
    assert "mixite.synth.generateur" in loaded
    assert "scipy" in loaded


def test_the_demo_list_loads_no_computation() -> None:
    # the demo's steps import their jobs and renderers when they run, not when listed
    loaded = _modules_after("import mixite.cli; from mixite.demo import DEMO_STEPS")
    assert "mixite.demo" in loaded
    assert not any(
        m.startswith(("mixite.jobs", "mixite.reports.", "mixite.allocation")) for m in loaded
    )
    assert "mixite.cotation.audit" not in loaded
