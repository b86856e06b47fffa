"""`leniency optimize SPEC --out DIR`: search levers and triage policies under an hours budget; writes
pareto.parquet (the non-dominated policies), candidates.parquet, marginal.csv, report.html and the archive
of every run (runs.parquet, the engine's store, kept as it goes, so --resume after an interruption reruns
nothing)."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.commands.sweep import parse_batch
from sim.engine.executors import open_executor
from sim.engine.outdir import OUTPUTS, guard_dir, record, start_over

if TYPE_CHECKING:  # the search, its report and the model load when a search starts, not for --help
    from sim.optimize.search import Outcome
    from sim.optimize.spec import OptimizeSpec

META = "optimize.json"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimize", help="search levers and triage under an hours budget", description=__doc__)
    p.add_argument("spec", help="optimisation spec TOML, e.g. experiments/resources.toml")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--population", type=int, help="candidates per generation (overrides the spec)")
    p.add_argument("--generations", type=int, help="generations (overrides the spec)")
    p.add_argument("--replications", type=int, help="seeds per candidate (overrides the spec)")
    p.add_argument(
        "--point",
        type=int,
        default=0,
        help="front point for the marginal values (0 = lowest on the first objective)",
    )
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="parameter uncertainty: seed r of every candidate runs with posterior draw r "
        "(e.g. experiments/calibration/posterior.parquet)",
    )
    p.add_argument(
        "--batch",
        metavar="K",
        help="a candidate's seeds go as the worlds of one batched model, K at a time (each world is still "
        "one run, paired with the same world under every candidate): 'auto' (default: as a sweep batches "
        "replications) or a whole number (1: one model per seed). Part of the question: --resume keeps it",
    )
    p.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on Dask: 'local' or a scheduler address")
    p.add_argument("--resume", action="store_true", help="continue an interrupted search in --out")
    p.add_argument("--force", action="store_true", help="start over, replacing this tool's files in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    p.set_defaults(func=optimize)


def question_digest(spec: OptimizeSpec, posterior: Path | None, batch: int = 1) -> str:
    """What a resumed search must share with the one it resumes: the spec's question, when the search runs
    over posterior draws the posterior file's contents, and the worlds per batched model (batched runs are
    other runs than one model per seed)."""
    digest = spec.digest()
    if posterior is not None:
        data = hashlib.sha256(posterior.read_bytes()).hexdigest()
        digest = hashlib.sha256(f"{digest}:{data}".encode()).hexdigest()[:16]
    if batch > 1:
        digest = hashlib.sha256(f"{digest}:batch={batch}".encode()).hexdigest()[:16]
    return digest


def _check_folder(out: Path, digest: str, args: argparse.Namespace) -> Path:
    """Refuse before any work: a folder of someone else's files, an earlier search without --resume or
    --force, or a --resume of a different question. Returns the folder to write."""
    from sim.experiments.design.spec import SpecError

    if args.resume and args.force:
        raise SpecError("--resume and --force: choose one (continue the search, or start it over)")
    out = guard_dir(out, OUTPUTS["optimize"], force=args.force, keep=["optimize"])
    earlier = out / META
    if earlier.is_file() and not (args.resume or args.force):
        raise SpecError(f"--out {out}: holds an earlier search; --resume continues it, --force starts over")
    if args.resume and earlier.is_file():
        was = json.loads(earlier.read_text(encoding="utf-8")).get("digest")
        if was != digest:
            raise SpecError(
                f"--resume: {out} holds a search of another question (levers, objectives, budget, scenario "
                "or seed differ); use a new --out or --force"
            )
    return out


def optimize(args: argparse.Namespace) -> int:
    from sim.engine.seeds import seed_list
    from sim.experiments.design.spec import SpecError
    from sim.experiments.design.uncertainty import (
        choose_draws,
        parameters,
        posterior_overrides,
        read_posterior,
    )
    from sim.optimize.evaluate import ARCHIVE, Archive, Runner, search_batch
    from sim.optimize.levers import lever
    from sim.optimize.search import Search
    from sim.optimize.spec import load_spec

    sizes = {
        "population": args.population,
        "generations": args.generations,
        "replications": args.replications,
    }
    least = {"population": 4, "generations": 1, "replications": 1}
    for k, v in sizes.items():
        if v is not None and v < least[k]:
            raise SpecError(f"--{k} {v}: must be at least {least[k]}")
    if args.point < 0:
        raise SpecError(f"--point {args.point}: must be 0 or more")
    spec, base = load_spec(args.spec, sizes)
    posterior = read_posterior(args.posterior) if args.posterior else None
    levers = [lever(n) for n in spec.levers]
    drawn = parameters(posterior) if posterior is not None else None
    batch = search_batch(base, levers, drawn, parse_batch(args.batch))
    digest = question_digest(spec, Path(args.posterior) if args.posterior else None, batch)
    out = _check_folder(Path(args.out), digest, args)
    seeds = seed_list(spec.master_seed, spec.search.replications)
    with open_executor(args.workers, args.dask) as info:
        if args.force:
            start_over(out, "optimize")  # only the files this tool wrote
        record(out, "optimize", OUTPUTS["optimize"])
        meta = {
            "digest": digest,
            "spec": spec.model_dump(),
            "seeds": seeds,
            "posterior": args.posterior,
            "batch": batch,
        }
        (out / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        archive = Archive(out, digest)
        archive.store.acquire_lock()
        archive.load()
        bar = _Bar(spec, len(levers), args.quiet, info.description)
        runners = []
        for stream, n in enumerate(
            (spec.search.replications, spec.search.replications, spec.search.marginal_seeds)
        ):
            draws = None
            if posterior is not None:
                picks = choose_draws(posterior, n, spec.master_seed, stream)
                draws = [posterior_overrides(posterior, d) for d in picks]
            seeds_k = seed_list(spec.master_seed, n, stream=stream) if stream else seeds
            runners.append(
                Runner(
                    base,
                    levers,
                    seeds_k,
                    spec.objectives,
                    archive,
                    info.executor,
                    bar.update,
                    bar.plan,
                    draws,
                    batch,
                )
            )
        runner, check, margin = runners
        try:
            search = Search(spec, runner, check, margin)
            search.run()
            outcome = search.outcome(args.point)
        except KeyboardInterrupt:
            bar.close()
            print(
                f"leniency optimize: interrupted; {len(archive.runs)} finished runs are kept in "
                f"{out / ARCHIVE}; --resume continues",
                file=sys.stderr,
            )
            return 130
        finally:
            try:
                archive.store.compact()
            finally:
                archive.store.release_lock()
        bar.close()
    _write(out, spec, outcome, len(seeds), args.posterior)
    if not args.quiet:
        _print(out, spec, outcome)
    return 0


def _write(out: Path, spec: OptimizeSpec, outcome: Outcome, seeds: int, posterior: str | None) -> None:
    from sim.optimize.report import write_report

    for name, df in (("pareto.parquet", outcome.front), ("candidates.parquet", outcome.candidates)):
        tmp = out / f".{name}.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(out / name)
    tmp = out / ".marginal.csv.tmp"
    outcome.marginal.to_csv(tmp, index=False)
    tmp.replace(out / "marginal.csv")
    write_report(out / "report.html", spec, outcome, seeds, posterior)


def _print(out: Path, spec: OptimizeSpec, outcome: Outcome) -> None:
    from sim.optimize.report import answer

    text = answer(spec, outcome).replace("<b>", "").replace("</b>", "")
    print(text)
    print(f"front: {out / 'pareto.parquet'} ({len(outcome.front)} policies); report: {out / 'report.html'}")


class _Bar:
    """A progress bar over runs whose total grows as the search learns how many it needs (cached runs of a
    resumed search are not counted)."""

    def __init__(self, spec: OptimizeSpec, n_levers: int, quiet: bool, where: str) -> None:
        s = spec.search
        self.planned = 0
        self.estimate = s.replications * (1 + s.population * s.generations + n_levers)
        self.bar = None
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.estimate,
                unit="run",
                desc=f"optimize on {where}",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
            )

    def plan(self, n: int) -> None:
        self.planned += n
        if self.bar is not None and self.bar.n + n > self.bar.total:
            self.bar.total = self.bar.n + n
            self.bar.refresh()

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.total = self.bar.n
            self.bar.close()
