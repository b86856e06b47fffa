"""CLI fuzz (issue 23): every subcommand's flags and files with bad values, through the real entry point
(``sim.cli.main`` in this process). The outcome is exit 0 or 2 with no traceback; nothing the test put there
beforehand is changed or deleted, and nothing in the checkout is touched.

The work a valid command line would start (a simulation, a sweep's or optimisation's executor, a fit, a
benchmark, the app's server) is replaced by raising ``WorkStarted``: reaching it means every check passed, so
each example costs milliseconds and the checks before the work are what is fuzzed. The default suite runs a
bounded number of examples; ``-m fuzz`` runs the long profile."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from tests.test_sweep_support import tiny_spec, tree

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT_INPUTS = ("experiments", "scenarios")


class WorkStarted(BaseException):
    """Every check passed and the command began its work (a BaseException: no command swallows it)."""


def _work(*args: Any, **kwargs: Any) -> Any:
    raise WorkStarted


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-sweep")
    spec = tiny_spec(root, reps=1, arms='"baseline"', days=10, daily=False)
    assert main(["sweep", str(spec), "--out", str(root / "sw"), "--workers", "1", "--quiet"]) == 0
    return root / "sw"


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.commands.viz
    import sim.engine.executors
    import sim.experiments.bench.measure
    import sim.experiments.bench.scaling
    import sim.experiments.report.page
    import sim.fitting.fit_report
    import sim.fitting.identify
    import sim.fitting.posterior
    import sim.model

    for module, name in (
        (sim.model, "simulate"),
        (sim.engine.executors, "local_processes"),
        (sim.engine.executors, "dask_executor"),
        (sim.experiments.report.page, "build_report"),
        (sim.fitting.fit_report, "calibrate"),
        (sim.fitting.identify, "identify"),
        (sim.fitting.posterior, "sample_posterior"),
        (sim.fitting.posterior, "run_posterior"),
        (sim.experiments.bench.measure, "run_bench"),
        (sim.experiments.bench.scaling, "measure_scaling"),
        (sim.commands.viz, "server_command"),
    ):
        monkeypatch.setattr(module, name, _work)


def stage(root: Path, sweep: Path) -> None:
    """What a user has in the folder the command line runs in: their folder, their file, a link to their
    folder, our earlier results with their notes beside them, a sweep, specs good and bad."""
    user = root / "USER"
    (user / "sub").mkdir(parents=True)
    (user / "notes.txt").write_text("my thesis")
    (user / "sub" / "data.csv").write_text("1,2")
    (user / "fit_table.md").write_text("my table")
    (root / "thesis.txt").write_text("chapter one")
    (root / "LINK_USER").symlink_to(user)
    ours = root / "OURS"
    ours.mkdir()
    (ours / "summary.json").write_text("{}")
    (ours / ".leniency-results").write_text(
        json.dumps({"tool": "leniency-sim", "command": "run", "files": ["summary.json"]})
    )
    (ours / "mine.txt").write_text("my notes beside our results")
    shutil.copytree(sweep, root / "SWEEP", symlinks=True)
    (root / "SWEEP" / "my_notes.md").write_text("why I ran it")
    tiny_spec(root, reps=1, arms='"baseline"', days=10, name="spec.toml")
    (root / "bad.toml").write_text("this is = not [toml")


def user_files(root: Path) -> dict[str, str]:
    """What the user put there: everything staged but our own results' files (which a command may replace)."""
    keep = tree(root)
    return {
        k: v
        for k, v in keep.items()
        if k.split(os.sep)[0] in ("USER", "thesis.txt", "LINK_USER", "bad.toml", "spec.toml", "mutated.toml")
        or k in ("OURS/mine.txt", "SWEEP/my_notes.md", "OURS", "SWEEP", "USER")
    }


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=10
)
NUMBERS = st.one_of(
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1",
            "2",
            "nan",
            "inf",
            "-inf",
            "true",
            "1e9",
            "1000000000",
            "100000",
            "1.5",
            "0x10",
            "abc",
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    TEXT,
)
OUTS = st.sampled_from(
    [
        ".",
        "..",
        "USER",
        "USER/sub",
        "thesis.txt",
        "USER/notes.txt",
        "LINK_USER",
        "OURS",
        "SWEEP",
        "NEW",
        "NEW/deeper",
        "thesis.txt/x",
        "/proc/leniency-fuzz",
        "/",
    ]
)
FILES = st.sampled_from(
    [
        "spec.toml",
        "bad.toml",
        "missing.toml",
        "USER",
        "thesis.txt",
        str(ROOT / "experiments" / "reforms.toml"),
        str(ROOT / "experiments" / "resources.toml"),
        str(ROOT / "experiments" / "calibration" / "targets.toml"),
        str(ROOT / "experiments" / "calibration" / "posterior.parquet"),
    ]
)
SETS = st.builds(
    lambda k, v: f"{k}={v}",
    st.sampled_from(
        [
            "run.days",
            "run.seed",
            "meta.reforms",
            "meta.name",
            "power.information_asymmetry",
            "nope",
            "run",
            "",
        ]
    ),
    st.one_of(
        st.sampled_from(["true", "nan", "inf", "-1", "1e9", '"x"', "[1]", "{a=1}", "0.5", "", "="]), TEXT
    ),
)
# per subcommand: (positional arguments, flags with a value, switches)
COMMANDS: dict[str, tuple[list[st.SearchStrategy[str]], dict[str, st.SearchStrategy[str]], list[str]]] = {
    "run": (
        [],
        {
            "--out": OUTS,
            "--seed": NUMBERS,
            "--set": SETS,
            "--with": st.one_of(
                st.sampled_from(["all", "judgment_reasoning", "bad.toml", "thesis.txt"]), TEXT
            ),
            "--scale": st.sampled_from(["classroom", "national", "huge", ""]),
        },
        ["--force", "--cases", "--agents", "--all", "--quiet"],
    ),
    "sweep": (
        [FILES],
        {
            "--out": OUTS,
            "--workers": NUMBERS,
            "--replications": NUMBERS,
            "--max-replications": NUMBERS,
            "--stall-timeout": NUMBERS,
            "--batch": st.one_of(st.sampled_from(["auto", "0", "65", "2"]), NUMBERS),
            "--target-ci": st.one_of(
                st.sampled_from(["application_rate=0.1", "x=1", "=", "adoption_rate=nan"]), TEXT
            ),
            "--posterior": FILES,
            "--no-workers": st.sampled_from(["wait", "stop", "maybe"]),
            "--dask": st.sampled_from(["local", "tcp://127.0.0.1:1", ""]),
        },
        ["--resume", "--force", "--quiet"],
    ),
    "report": (
        [st.one_of(OUTS, FILES)],
        {
            "--out": st.one_of(
                OUTS, st.sampled_from(["r.html", "USER/r.html", "SWEEP/report.html", "NEW/r.html"])
            )
        },
        ["--quiet"],
    ),
    "calibrate": (
        [],
        {
            "--out": OUTS,
            "--targets": FILES,
            "--workers": NUMBERS,
            "--seeds": NUMBERS,
            "--days": NUMBERS,
            "--draws": NUMBERS,
            "--generations": NUMBERS,
            "--check-draws": NUMBERS,
            "--dask": st.sampled_from(["local", ""]),
        },
        ["--quick", "--identify", "--posterior", "--resume", "--force", "--quiet"],
    ),
    "optimize": (
        [FILES],
        {
            "--out": OUTS,
            "--population": NUMBERS,
            "--generations": NUMBERS,
            "--replications": NUMBERS,
            "--point": NUMBERS,
            "--batch": NUMBERS,
            "--workers": NUMBERS,
            "--posterior": FILES,
        },
        ["--resume", "--force", "--quiet"],
    ),
    "bench": (
        [],
        {"--repeats": NUMBERS, "--scaling": st.one_of(OUTS, st.sampled_from(["plot.png", "USER/p.png"]))},
        ["--quick", "--json"],
    ),
    "viz": (
        [],
        {
            "--host": st.one_of(st.sampled_from(["999.1.1.1", "", "::1", "localhost"]), TEXT),
            "--port": NUMBERS,
        },
        [],
    ),
}


# spec keys given a bad (or odd) value in a copy of a good spec: (the spec, its keys)
SPEC_KEYS = {
    "sweep": (
        "spec.toml",
        ["replications", "master_seed", "daily", "scale", "max_replications", "reform_arms", "name",
         "description", "outcomes", "headline", "baseline_arm", '"run.days"', '"run.drain_days"'],
    ),
    "optimize": (
        str(ROOT / "experiments" / "resources.toml"),
        ["extra_hours_per_case", "master_seed", "population", "generations", "replications", "marginal_step",
         "levers", "objectives", "scale", "algorithm"],
    ),
    "calibrate": (
        str(ROOT / "experiments" / "calibration" / "targets.toml"),
        ["quick_seeds", "fit_seeds", "fit_batch", "prior_weight", "quick_days", "fit_days", "seed_entropy",
         "value", "tolerance", "weight", "lo", "hi", "metric", "key"],
    ),
}  # fmt: skip
TOML_VALUES = st.sampled_from(
    [
        "true",
        '"yes"',
        "nan",
        "inf",
        "-inf",
        "-1",
        "0",
        "1",
        "1e9",
        "1.5",
        "[]",
        "{}",
        '"x"',
        '["x"]',
        "[true]",
    ]
)
Mutation = tuple[str, str, str]


def mutate(base: str, key: str, value: str) -> str:
    """The spec's text with its first line setting ``key`` set to ``value`` (or the key added on top)."""
    text = Path(base).read_text(encoding="utf-8")
    line = re.compile(rf"^{re.escape(key)}\s*=.*$", re.M)
    return line.sub(f"{key} = {value}", text, count=1) if line.search(text) else f"{key} = {value}\n{text}"


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], Mutation | None]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    positional, flags, switches = COMMANDS[name]
    mutation = None
    if name in SPEC_KEYS and draw(st.booleans()):  # a spec key with a bad value instead of a file choice
        base, keys = SPEC_KEYS[name]
        mutation = (base, draw(st.sampled_from(keys)), draw(TOML_VALUES))
    argv = [name, *(draw(p) for p in positional)]
    if mutation is not None and name != "calibrate":
        argv[1] = "mutated.toml"
    required = ["--out"] if name in ("run", "sweep", "optimize") else []  # else argparse refuses them all
    others = sorted(set(flags) - set(required))
    for flag in required + draw(st.lists(st.sampled_from(others), max_size=4, unique=True)):
        argv += [flag, draw(flags[flag])]
    if mutation is not None and name == "calibrate":
        argv += ["--targets", "mutated.toml"]
    argv += draw(st.lists(st.sampled_from(switches), max_size=3, unique=True)) if switches else []
    return argv, mutation


@contextlib.contextmanager
def example_dir(tmp_path: Path, sweep: Path) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    stage(root, sweep)
    with contextlib.chdir(root):
        yield root
    shutil.rmtree(root, ignore_errors=True)


def check(
    case: tuple[list[str], Mutation | None], tmp_path: Path, sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, mutation = case
    with example_dir(tmp_path, sweep) as root:
        if mutation is not None:
            (root / "mutated.toml").write_text(mutate(*mutation), encoding="utf-8")
        before = user_files(root)
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except WorkStarted:
            code = 0  # every check passed; the work itself is not what is fuzzed
        err = capsys.readouterr().err
        assert code in (0, 2), (argv, mutation, code, err)
        assert "Traceback" not in err, (argv, mutation, err)
        assert user_files(root) == before, (argv, mutation)


def _checkout_digest() -> str:
    text = json.dumps({d: tree(ROOT / d) for d in CHECKOUT_INPUTS}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def checkout_before() -> Iterator[str]:
    """The checkout's specs, scenarios and calibration, unchanged by every example."""
    before = _checkout_digest()
    yield before
    assert _checkout_digest() == before, "the checkout's experiments/ or scenarios/ were changed"


FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES, database=None)
@given(case=command_lines())
def test_cli_fuzz(
    case: tuple[list[str], Mutation | None],
    tmp_path: Path,
    sweep_folder: Path,
    no_work: None,
    checkout_before: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(case, tmp_path, sweep_folder, capsys)


@pytest.mark.fuzz
@settings(max_examples=3000, deadline=None, suppress_health_check=FIXTURES, database=None)
@given(case=command_lines())
def test_cli_fuzz_long(
    case: tuple[list[str], Mutation | None],
    tmp_path: Path,
    sweep_folder: Path,
    no_work: None,
    checkout_before: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(case, tmp_path, sweep_folder, capsys)
