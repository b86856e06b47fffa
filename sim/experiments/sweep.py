"""The sweep engine: run an experiment's tasks on any ``concurrent.futures.Executor``, store each finished
run as it arrives, skip what the store already holds (resume and extension are the same thing), and
optionally add replications until a confidence interval is narrow enough.

The parent keeps only task keys and a bounded number of futures in flight; results go straight to disk, so its
memory stays flat however many runs a sweep has.
"""

from __future__ import annotations

import math
import platform
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.engine.outdir import MARKER, OUTPUTS, record, start_over
from sim.engine.store import LOCK, OWNED, ResultStore
from sim.experiments.analysis import group_means
from sim.experiments.design.plan import Plan, Task
from sim.experiments.design.spec import ExperimentSpec, SpecError
from sim.experiments.worker import StallWatch, execute_unit


def parse_target(text: str, spec: ExperimentSpec) -> tuple[str, float]:
    """``OUTCOME=HALFWIDTH`` for --target-ci."""
    name, sep, value = text.partition("=")
    outcomes = spec.outcome_names()
    if not sep or name not in outcomes:
        raise SpecError(
            f"--target-ci {text!r}: expected OUTCOME=HALFWIDTH with OUTCOME one of the spec's outcomes, "
            f"e.g. relief_rate_nonessential=0.5"
        )
    try:
        hw = float(value)
    except ValueError:
        hw = -1.0
    if not hw > 0:
        raise SpecError(f"--target-ci {text!r}: HALFWIDTH must be a positive number, got {value!r}")
    return name, hw


@dataclass
class SweepReport:
    """What a sweep did, for the one-screen summary."""

    out: Path
    executor: str
    workers: int
    total: int = 0
    skipped: int = 0
    ran: int = 0
    ok: int = 0
    failed: int = 0
    wall_s: float = 0.0
    run_s: float = 0.0
    replications: dict[int, int] = field(default_factory=dict)
    target: tuple[str, float] | None = None
    target_met: bool | None = None
    first_errors: list[str] = field(default_factory=list)
    interrupted: bool = False


class Sweep:
    """One experiment written to one folder."""

    def __init__(
        self,
        spec: ExperimentSpec,
        out: str | Path,
        *,
        spec_text: str | None = None,
        replications: int | None = None,
        posterior: pd.DataFrame | None = None,
        posterior_source: str | None = None,
        batch: int | None = None,
    ) -> None:
        self.spec = (
            spec
            if replications is None
            else spec.model_copy(
                update={
                    "replications": replications,
                    "max_replications": max(spec.max_replications, replications),
                }
            )
        )
        self.plan = Plan(self.spec, posterior, batch)
        self.batch_asked = batch
        self.posterior_source = posterior_source
        self.store = ResultStore(out)
        self.spec_text = spec_text

    def prepare(self, *, resume: bool, force: bool) -> None:
        """Refuse to mix sweeps by accident; write the spec, metadata and design beside the data."""
        out = self.store.root
        if out.exists() and not out.is_dir():
            raise SpecError(f"--out {out}: exists and is not a folder")
        if self.store.has_runs() and not (resume or force):
            raise SpecError(
                f"--out {out}: already holds a sweep; add --resume to continue or extend it, or --force to "
                f"start over"
            )
        # a folder holding files this tool did not write is never written into (its files are the user's)
        known = {*OWNED, LOCK, MARKER}
        foreign = (
            out.is_dir()
            and not (out / MARKER).is_file()
            and not self.store.has_runs()
            and any(p.name not in known for p in out.iterdir())
        )
        if foreign:
            raise SpecError(
                f"--out {out}: folder is not empty and holds no sweep of this tool; choose an empty or new "
                f"folder"
            )
        if resume and self.store.has_runs():
            self._check_same_experiment()
            self._same_batches()
        record(out, "sweep", OUTPUTS["sweep"])  # before the lock: a folder with a lock is a marked one
        self.store.acquire_lock()  # released at the end of run()
        try:
            if force:
                start_over(out, "sweep", spare=[LOCK])  # only the files this tool wrote
                record(out, "sweep", OUTPUTS["sweep"])
            self._write_meta()
        except BaseException:
            self.store.release_lock()
            raise

    def _check_same_experiment(self) -> None:
        """--resume continues or extends the same experiment; another spec would mix two experiments in one
        table."""
        old = self.store.meta().get("spec")
        if not isinstance(old, dict):
            return
        new = self.spec.model_dump(mode="json")
        extendable = {"replications", "max_replications", "description", "reform_arms"}  # more of the same
        if isinstance(old.get("reform_arms"), list) and isinstance(new.get("reform_arms"), list):
            extendable -= set() if set(old["reform_arms"]) <= set(new["reform_arms"]) else {"reform_arms"}
        # a key added to specs since the sweep began reads as its default (the sweep ran as that default)
        fields = type(self.spec).model_fields
        was = {
            k: old.get(k, fields[k].get_default(call_default_factory=True) if k in fields else None)
            for k in set(old) | set(new)
        }
        differ = sorted(k for k in was if k not in extendable and was[k] != new.get(k))
        if differ:
            raise SpecError(
                f"--out {self.store.root}: --resume with a different experiment (differs "
                f"in: {', '.join(differ)}); "
                "resume with the spec it was started with, or write to a new folder"
            )

    def _same_batches(self) -> None:
        """A resumed sweep keeps the batch size it started with: another size gives other runs (other
        worlds), which must not mix with the stored ones."""
        meta = self.store.meta()
        stored = int(meta.get("batch", 1))  # sweeps from before batching ran unbatched
        if self.batch_asked is not None and self.batch_asked != stored:
            raise SpecError(
                f"--batch {self.batch_asked}: the sweep in --out {self.store.root} runs batches of {stored}; "
                f"resume with --batch {stored} (or without --batch), or write to a new folder"
            )
        self.plan.batch = stored
        self.plan.mode = str(meta.get("batch_mode", "replications"))  # before points were batched

    def _write_meta(self) -> None:
        old = self.store.meta()
        history = old.get("history", [])
        history.append(
            {
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
                "argv": sys.argv,
                "replications": self.spec.replications,
            }
        )
        meta = {
            "name": self.spec.name,
            "description": self.spec.description,
            "package_version": __version__,
            "python": platform.python_version(),
            "created": old.get("created", history[-1]["time"]),
            "history": history,
            "arms": self.plan.arm_names,
            "baseline_arm": self.spec.baseline,
            "factors": self.plan.factor_names,
            "design": self.spec.factors.design if self.spec.factors else None,
            "outcomes": self.spec.outcome_names(),
            "scenario_keys": sorted(h[:16] for h in self.plan.scenario_hashes()),
            "posterior": self.posterior_source,
            "batch": self.plan.batch,
            "batch_mode": self.plan.mode,
            "headline": self.spec.headline,
            "spec": self.spec.model_dump(mode="json"),
        }
        self.store.write_meta(meta, self.spec_text, self.plan.design_frame())

    # -- running
    # -----------------------------------------------------------------------------------------------
    def run(
        self,
        executor: Executor,
        *,
        workers: int,
        description: str,
        target: tuple[str, float] | None = None,
        progress: bool = True,
        in_flight: int | None = None,
        watch: StallWatch | None = None,
    ) -> SweepReport:
        report = SweepReport(self.store.root, description, workers, target=target)
        t0 = time.perf_counter()
        reps = {p: self.spec.replications for p in range(len(self.plan.points))}
        done = self.store.done_ids()
        tasks = list(self.plan.tasks(reps))
        todo = [t for t in tasks if t.run_id not in done]
        report.total, report.skipped = len(tasks), len(tasks) - len(todo)
        bar = _bar(report.total, report.skipped, description, progress)
        limit = in_flight or max(4, 2 * workers)
        watch = watch or StallWatch(None)
        try:
            self._drain(executor, todo, bar, report, limit, watch)
            if target is not None:
                while True:
                    extra = self._more_replications(reps, target)
                    if not extra:
                        break
                    start = dict(reps)
                    reps.update(extra)
                    more = list(self.plan.tasks(reps, start))
                    new = [t for t in more if t.run_id not in done]
                    report.total += len(more)
                    report.skipped += len(more) - len(new)
                    bar.total = report.total
                    bar.update(len(more) - len(new))
                    self._drain(executor, new, bar, report, limit, watch)
                report.target_met = not self._more_replications(reps, target, probe=True)
        except KeyboardInterrupt:
            report.interrupted = True
            raise
        finally:
            bar.close()
            report.wall_s = time.perf_counter() - t0
            report.replications = reps
            try:
                self.store.compact()
            finally:
                self.store.release_lock()
        return report

    def _drain(
        self,
        executor: Executor,
        tasks: Iterable[Task],
        bar: Any,
        report: SweepReport,
        limit: int,
        watch: StallWatch,
    ) -> None:
        """Keep at most ``limit`` units (runs, or batches of worlds) in flight; store the finished runs as
        soon as they arrive."""
        it: Iterator[list[Task]] = self.plan.units(tasks)
        pending: dict[Future, list[Task]] = {}
        daily = self.spec.daily
        try:
            while True:
                for unit in it:
                    pending[executor.submit(execute_unit, self.plan.unit(unit, daily))] = unit
                    if len(pending) >= limit:
                        break
                if not pending:
                    return
                finished, _ = wait(pending, timeout=watch.timeout, return_when=FIRST_COMPLETED)
                if not finished:
                    watch.stalled(bar)  # may raise SpecError (--no-workers stop)
                    continue
                watch.progressed()
                rows, frames, case_frames = [], [], []
                broken: BaseException | None = None
                for fut in finished:
                    unit = pending.pop(fut)
                    try:
                        results = fut.result()
                    except BrokenExecutor as exc:
                        broken = exc
                        results = [(self._executor_failure(t, exc), None, None) for t in unit]
                    except Exception as exc:  # e.g. a Dask worker lost: record, go on
                        results = [(self._executor_failure(t, exc), None, None) for t in unit]
                    for row, frame, cases in results:
                        rows.append(row)
                        frames.append(frame)
                        case_frames.append(cases)
                self.store.append(rows, frames, case_frames)
                for row in rows:
                    report.ran += 1
                    report.run_s += float(row.get("duration_s") or 0.0)
                    if row["status"] == "ok":
                        report.ok += 1
                    else:
                        report.failed += 1
                        if len(report.first_errors) < 3:
                            report.first_errors.append(
                                f"{row['arm']} rep {row['replication']}: {row['error']}"
                            )
                bar.set_postfix_str(f"failed {report.failed}", refresh=False)
                bar.update(len(rows))
                if broken is not None:
                    raise SpecError(
                        f"the executor broke ({broken}); finished runs are stored, rerun with --resume"
                    )
        finally:
            for fut in pending:
                fut.cancel()

    def _executor_failure(self, task: Task, exc: BaseException) -> dict[str, Any]:
        row = self.plan.ident(task)
        row.update(
            attempt=uuid.uuid4().hex,
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback="".join(traceback.format_exception(exc)),
            duration_s=math.nan,
            worker="",
            finished_at=time.time(),
        )
        row.update({o: math.nan for o in self.spec.outcome_names()})
        return row

    def _more_replications(
        self, reps: dict[int, int], target: tuple[str, float], probe: bool = False
    ) -> dict[int, int]:
        """Design points whose arms' CI half-width of the target outcome is above the target, with the
        replication count that should bring it below (all arms of a point grow together, keeping every pair
        for CRN)."""
        outcome, goal = target
        cap = self.spec.max_replications
        runs = self.store.read_runs(["arm", "point", "replication", outcome], ok_only=True, current=True)
        runs = runs[runs["replication"] < runs["point"].map(reps)]
        stats = group_means(runs, [outcome], by=("point", "arm"))
        out: dict[int, int] = {}
        for point, g in stats.groupby("point"):
            p = int(point)
            worst = g["half_width"].max()
            n = int(g["n"].min())
            if n < 2:  # no interval yet: at least two replications per arm
                if probe or reps[p] < cap:
                    out[p] = reps[p] if probe else min(cap, max(reps[p] + 1, 2 * max(n, 1)))
                continue
            # the outcome is undefined here (e.g. no case reached the stage): more runs won't help
            if math.isnan(worst):
                if probe:
                    out[p] = reps[p]
                continue
            if not worst > goal:
                continue
            if probe:
                out[p] = reps[p]
                continue
            if reps[p] >= cap:
                continue
            needed = math.ceil(n * (worst / goal) ** 2 * 1.1) if math.isfinite(worst) else 2 * n
            out[p] = int(min(cap, max(reps[p] + 1, min(needed, 4 * reps[p]))))
        return out


class _NoBar:
    total = 0

    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str, refresh: bool = True) -> None: ...
    def refresh(self) -> None: ...
    def close(self) -> None: ...


def _bar(total: int, initial: int, desc: str, progress: bool) -> Any:
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="run",
        desc="sweep",
        dynamic_ncols=True,
        mininterval=0.5,
        file=sys.stderr,
        bar_format="{desc}: {n_fmt}/{total_fmt} runs |{bar}| {percentage:3.0f}% [{elapsed}<{remaining}, "
        "{rate_fmt}] {postfix}",
        postfix="failed 0",
    )
