"""The output guard (issue 23): every command that writes goes to a new folder or to this tool's own results;
--force replaces only what this tool wrote; a refusal is exit 2 with one line naming the flag, before any
work, and leaves every file byte-for-byte as it was (no temporary file or folder left behind)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.cli import main
from sim.engine.outdir import MARKER, guard_dir, owned
from tests.test_sweep_support import tiny_spec, tree

QUICK = ["--scale", "classroom", "--set", "run.days=15", "--set", "run.drain_days=10", "--quiet"]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The real entry point in this process: exit code and stderr."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def refused(capsys: pytest.CaptureFixture[str], flag: str, *args: str) -> str:
    code, err = cli(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in err, err
    return lines[0]


def user_folder(root: Path, name: str = "mine") -> Path:
    folder = root / name
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("my thesis")
    (folder / "sub" / "data.csv").write_text("1,2")
    return folder


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    spec = tiny_spec(root, reps=1, arms='["baseline", "all"]', days=20)
    out = root / "sw"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    shutil.copytree(out, root / "pristine", symlinks=True)  # as the sweep left it, before any report
    return out


def test_run_force_replaces_only_the_tools_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    assert cli(capsys, "run", "--out", str(out), "--cases", *QUICK)[0] == 0
    (out / "sub").mkdir()
    (out / "sub" / "mine.csv").write_text("keep me")
    (out / "notes.txt").write_text("my notes")
    refused(capsys, "--out", "run", "--out", str(out), *QUICK)  # earlier results need --force
    assert cli(capsys, "run", "--out", str(out), "--force", *QUICK)[0] == 0
    assert (out / "notes.txt").read_text() == "my notes"
    assert (out / "sub" / "mine.csv").read_text() == "keep me"
    assert not (out / "cases.parquet").exists()  # an earlier output of ours this run did not write: replaced
    assert (out / "summary.json").is_file()
    assert set(json.loads((out / MARKER).read_text())["files"]) == {
        "summary.json",
        "daily.parquet",
        "relief_events.parquet",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no temporary folder left


def test_current_folder_is_refused_with_or_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = user_folder(tmp_path)
    before = tree(tmp_path)
    monkeypatch.chdir(folder)
    for extra in ([], ["--force"]):
        assert "current folder" in refused(capsys, "--out", "run", "--out", ".", *extra, *QUICK)
    assert tree(tmp_path) == before


def test_symlinks_are_followed_only_to_our_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = user_folder(tmp_path)
    (tmp_path / "to_user").symlink_to(user)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    before = tree(tmp_path)
    for link in ("to_user", "dangling"):
        assert "symbolic link" in refused(
            capsys, "--out", "run", "--out", str(tmp_path / link), "--force", *QUICK
        )
    assert tree(tmp_path) == before
    ours = tmp_path / "res"
    assert cli(capsys, "run", "--out", str(ours), *QUICK)[0] == 0
    (tmp_path / "to_ours").symlink_to(ours)
    assert cli(capsys, "run", "--out", str(tmp_path / "to_ours"), "--force", *QUICK)[0] == 0
    assert (tmp_path / "to_ours").is_symlink() and (ours / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "mine", "res", "to_ours", "to_user"]


def test_a_users_folder_is_refused_by_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = user_folder(tmp_path)
    (user / "fit_table.md").write_text("my table")
    spec = tiny_spec(tmp_path, reps=1)
    root = Path(__file__).resolve().parent.parent
    before = tree(tmp_path)
    cases = [
        ["run", "--out", str(user), "--force", *QUICK],
        ["sweep", str(spec), "--out", str(user), "--workers", "1", "--force", "--quiet"],
        ["optimize", str(root / "experiments" / "resources.toml"), "--out", str(user), "--force"],
        ["calibrate", "--quick", "--out", str(user), "--quiet"],
        ["calibrate", "--identify", "--out", str(user), "--quiet"],
    ]
    for argv in cases:
        assert "did not write" in refused(capsys, "--out", *argv), argv
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--out", "/proc/leniency-x", *QUICK],
        ["sweep", "SPEC", "--out", "/proc/leniency-x", "--workers", "1", "--quiet"],
        ["calibrate", "--quick", "--out", "/proc/leniency-x", "--quiet"],
        ["optimize", "RESOURCES", "--out", "/proc/leniency-x"],
        ["run", "--out", "BLOCKER/sub", *QUICK],
    ],
)
def test_unwritable_places_are_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    root = Path(__file__).resolve().parent.parent
    spec = tiny_spec(tmp_path, reps=1)
    (tmp_path / "blocker").write_text("x")
    subs = {
        "SPEC": str(spec),
        "RESOURCES": str(root / "experiments" / "resources.toml"),
        "BLOCKER/sub": str(tmp_path / "blocker" / "sub"),
    }
    before = tree(tmp_path)
    refused(capsys, "--out", *[subs.get(a, a) for a in argv])
    assert tree(tmp_path) == before


def test_report_out_is_a_new_file_or_ours(
    sweep_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = user_folder(tmp_path)
    (user / "thesis.txt").write_text("chapter one")
    (tmp_path / "link.html").symlink_to(user / "thesis.txt")
    before, sweep_before = tree(tmp_path), tree(sweep_dir)
    for out, says in (
        (user / "thesis.txt", "not written by this tool"),
        (user, "is a folder"),
        (tmp_path / "missing" / "r.html", "does not exist"),
        (Path("/proc/leniency-r.html"), "system folder"),
        (tmp_path / "link.html", "symbolic link"),
    ):
        assert says in refused(capsys, "--out", "report", str(sweep_dir), "--out", str(out), "--quiet")
    assert tree(tmp_path) == before and tree(sweep_dir) == sweep_before  # no tables, no temp file
    page = user / "report.html"
    assert cli(capsys, "report", str(sweep_dir), "--out", str(page), "--quiet")[0] == 0
    assert cli(capsys, "report", str(sweep_dir), "--out", str(page), "--quiet")[0] == 0  # ours: replaced
    assert (user / "notes.txt").read_text() == "my thesis"


def test_report_records_its_files_and_run_force_keeps_the_users(
    sweep_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "sw"
    shutil.copytree(sweep_dir.parent / "pristine", folder, symlinks=True)
    (folder / "tables").mkdir()  # the user's, beside the sweep: never written into
    assert "tables there was not written" in refused(capsys, "DIR", "report", str(folder), "--quiet")
    (folder / "tables").rmdir()
    assert cli(capsys, "report", str(folder), "--quiet")[0] == 0
    assert {"report.html", "tables", "ema", "runs.parquet"} <= owned(folder)
    (folder / "my_notes.md").write_text("why I ran it")
    assert cli(capsys, "run", "--out", str(folder), "--force", *QUICK)[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MARKER, "my_notes.md", "summary.json", "daily.parquet", "relief_events.parquet"]
    )


def test_a_users_file_named_like_ours_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"tool": "leniency-sim", "command": "run", "files": []}))
    (out / "summary.json").write_text("{}")  # the user's, not in the manifest
    with pytest.raises(Exception, match="summary.json there was not written by this tool"):
        guard_dir(out, ["summary.json"], force=True)


def test_bench_scaling_refuses_a_users_file_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plot.png").write_bytes(b"\x89PNG user")
    (tmp_path / "other.json").write_text("{}")
    before = tree(tmp_path)
    refused(capsys, "--scaling", "bench", "--scaling", str(tmp_path / "plot.png"))
    refused(capsys, "--scaling", "bench", "--scaling", str(tmp_path / "other.png"))  # its .json is the user's
    refused(capsys, "--scaling", "bench", "--scaling", str(tmp_path / "plot"))  # matplotlib would add .png
    assert tree(tmp_path) == before


def test_sweep_force_starts_over_keeping_the_users_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tiny_spec(tmp_path, reps=1, arms='"baseline"', days=10)
    out = tmp_path / "sw"
    argv = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]
    assert cli(capsys, *argv)[0] == 0
    (out / "notes.txt").write_text("my notes")
    (out / "sub").mkdir()
    (out / "sub" / "data.csv").write_text("1,2")
    first = sorted(p.name for p in (out / "runs.parquet").iterdir())
    assert "--resume" in refused(capsys, "--out", *argv)  # earlier runs: --resume or --force
    assert cli(capsys, *argv, "--force")[0] == 0
    assert (out / "notes.txt").read_text() == "my notes" and (out / "sub" / "data.csv").read_text() == "1,2"
    assert sorted(p.name for p in (out / "runs.parquet").iterdir()) != first  # the runs were replaced
    assert not (out / ".sweep.lock").exists()


def test_calibrate_into_another_commands_results_is_refused_without_suggesting_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res"
    assert cli(capsys, "run", "--out", str(out), *QUICK)[0] == 0
    before = tree(tmp_path)
    msg = refused(capsys, "--out", "calibrate", "--quick", "--out", str(out), "--quiet")
    assert "leniency run" in msg and "name a new folder" in msg and "--force" not in msg
    assert tree(tmp_path) == before


def test_a_manifest_names_only_files_inside_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res"
    assert cli(capsys, "run", "--out", str(out), *QUICK)[0] == 0
    (tmp_path / "precious.txt").write_text("outside")
    doc = json.loads((out / MARKER).read_text())
    doc["files"] += ["../precious.txt", "/etc/hostname", ".."]  # a hand-edited or corrupted marker
    (out / MARKER).write_text(json.dumps(doc))
    assert owned(out) == {MARKER, "summary.json", "daily.parquet", "relief_events.parquet"}
    assert cli(capsys, "run", "--out", str(out), "--force", *QUICK)[0] == 0
    assert (tmp_path / "precious.txt").read_text() == "outside"
