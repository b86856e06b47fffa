"""Random streams that pair: every random decision draws from a stream keyed by what it is about, so two
arms of a comparison differ only where a change acts.

Generator: numpy's Philox (Philox4x64-10; Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as
easy as 1, 2, 3"). It is counter-based: its output is a bijection of (key, counter), so any stream can be
opened at any point without drawing what comes before. Its authors show the Philox family passes TestU01's
BigCrush with a safety margin (crush-resistant from 7 rounds; numpy uses 10), and numpy ships and tests the
implementation; we rely on their tests, not ours.
The compiled copy of it that draws the actors' and remand streams (``sim.model.philox``) gives numpy's
words bit for bit (``tests/test_philox.py``).

Keys and counters: the run seed gives the 128-bit key (``SeedSequence``); a stream is the 256-bit counter
(position, day, world, kind), so streams of different days, worlds and kinds never overlap, and a world's
draws do not depend on the batch it runs in. The kinds:

- ``ARRIVAL`` (world, day): the number of new cases, then one row of raw words per new case (its facts and
  its behaviour block, ``CASE_SLOTS``), then the facts drawn by rejection (``TAIL_SLOTS``, beta), in order.
- The behaviour block: a case's behavioural decisions, one 32-bit word per (slot, occurrence), drawn at
  arrival and kept on the case's docket row (``draws``); a decision reads its word when it falls due. A
  case's draw is the same number in every arm, whatever happened to other cases and in whatever order the
  stages visit rows.
- ``STAFF`` (world, day) and ``SETUP`` (world): a fixed number of words per actor and slot (judges' drift
  and turnover, prosecutors' turnover and fresh beliefs; first norms and beliefs), so no actor's draw
  depends on another's.
- ``REMAND`` (world, arrival day, place among that day's arrivals): a fresh behaviour block for a case the
  second instance sends back for retrial (model v3), so its second round of decisions is its own.

Transforms are exact inverse CDFs of open-interval uniforms (normal: ``ndtri``; exponential: ``-log``), so a
draw is one uniform whatever its distribution; behavioural uniforms have 32 bits, facts and actors' 52.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.special import ndtri

from sim.model import philox

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

Draw = Literal["uniform", "normal", "exponential", "integer", "poisson", "beta"]
Stream = Literal["arrival", "tail", "case", "staff", "setup"]


class Kind(IntEnum):
    """The last word of a stream's counter."""

    ARRIVAL = 1
    STAFF = 2
    SETUP = 3
    REMAND = 4  # a fresh behaviour block for a case remanded for retrial, keyed by the case itself


@dataclass(frozen=True)
class Slot:
    """One random decision: what it is about and what it draws. ``uses``: how often one case may make it
    (each occurrence has its own word); ``per``: for actor streams, the words per actor."""

    name: str
    actor: str
    stage: str
    stream: Stream
    draws: Draw
    what: str
    uses: int = 1
    per: Literal["judge", "prosecutor", "prosecutor x judge", ""] = ""


# Every random decision of the model, in the order its stream draws it. Adding a draw means adding a slot;
# a draw through an undeclared name fails, and tests/test_streams.py fails on any draw outside this list.
SLOTS: tuple[Slot, ...] = (
    # --- arrival (per world and day)
    Slot("arrivals.count", "world", "arrival", "arrival", "poisson", "number of new cases today"),
    Slot("case.district", "case", "arrival", "arrival", "integer", "district of the case"),
    Slot("case.prosecutor", "case", "arrival", "arrival", "integer", "prosecutor within the district"),
    Slot("case.judge", "case", "arrival", "arrival", "integer", "judge within the district"),
    Slot("case.retained", "case", "arrival", "arrival", "uniform", "a retained defender"),
    Slot("case.duty_lawyer", "case", "arrival", "arrival", "integer", "duty lawyer within the district"),
    Slot("case.investigation", "case", "arrival", "arrival", "exponential", "investigation days"),
    Slot("case.base", "defendant", "arrival", "arrival", "normal", "log sentence the facts call for"),
    Slot("case.innocent", "defendant", "arrival", "arrival", "uniform", "innocence"),
    Slot("case.mitigation", "defendant", "arrival", "arrival", "uniform", "mitigating factors"),
    Slot("case.overcharge", "prosecutor", "arrival", "arrival", "uniform", "overstatement of the charge"),
    Slot("case.risk", "defendant", "arrival", "arrival", "normal", "risk aversion"),
    Slot("case.taste", "defendant", "arrival", "arrival", "normal", "taste for pleading"),
    Slot("case.contests", "defendant", "arrival", "arrival", "uniform", "denies the facts"),
    Slot("case.detained", "prosecutor", "arrival", "arrival", "uniform", "arrest"),
    Slot("case.view", "judge", "arrival", "arrival", "normal", "the court's case-specific view (log)"),
    Slot(
        "case.suitability", "defendant", "arrival", "arrival", "normal", "suitability for suspension (probit)"
    ),
    # --- drawn by rejection after the day's rows, in this order
    Slot("case.evidence", "case", "arrival", "tail", "beta", "strength of the evidence"),
    Slot("case.literacy", "defendant", "arrival", "tail", "beta", "legal literacy"),
    # --- the behaviour block of each case (drawn at arrival, read when due)
    Slot("prosecutor.consults", "prosecutor", "review", "case", "uniform", "consults the court on the norm"),
    Slot("prosecutor.determinate", "prosecutor", "review", "case", "uniform", "a determinate recommendation"),
    Slot(
        "prosecutor.suspension_view", "prosecutor", "review", "case", "normal", "error of its suspension view"
    ),
    Slot("defendant.belief", "defendant", "plea hearing", "case", "normal", "error of own trial estimate"),
    Slot("defendant.conviction_belief", "defendant", "plea hearing", "case", "normal", "error of own p"),
    Slot("prosecutor.records", "prosecutor", "plea hearing", "case", "uniform", "the hearing is recorded"),
    Slot("prosecutor.insists", "prosecutor", "plea hearing", "case", "uniform", "insists on a refuser"),
    Slot("prosecutor.finds_involuntary", "prosecutor", "plea hearing", "case", "uniform", "finds coercion"),
    Slot("defendant.learns", "defendant", "review, trial", "case", "uniform", "learns the truth", uses=2),
    Slot("defendant.misinformed", "defendant", "review, trial", "case", "uniform", "is misinformed", uses=2),
    Slot("defendant.withdraws", "defendant", "review, trial", "case", "uniform", "acts on it", uses=2),
    Slot("prosecutor.minor_drop", "prosecutor", "charge", "case", "uniform", "relative non-prosecution"),
    Slot("prosecutor.weak_drop", "prosecutor", "charge", "case", "uniform", "evidentiary non-prosecution"),
    Slot("prosecutor.releases", "prosecutor", "charge", "case", "uniform", "releases a pleading detainee"),
    Slot("judge.fast_track", "judge", "charge", "case", "uniform", "the court takes up fast-track"),
    Slot("triage.reviewed", "judge", "to trial", "case", "uniform", "substantive review", uses=2),
    Slot("lawyer.changes", "lawyer", "to trial", "case", "uniform", "a new duty lawyer", uses=2),
    Slot("judge.finds_involuntary", "judge", "trial", "case", "uniform", "Art. 190 finding", uses=2),
    Slot("judge.finds_no_crime", "judge", "trial", "case", "uniform", "Art. 201(1) no crime"),
    Slot("prosecutor.adjusts", "prosecutor", "trial", "case", "uniform", "adjusts on request (Art. 201)"),
    Slot("prosecutor.observes", "prosecutor", "trial", "case", "normal", "error of the observed norm"),
    Slot("judge.tells", "judge", "trial", "case", "uniform", "tells the prosecutor its view"),
    Slot("judge.convicts", "judge", "trial", "case", "uniform", "conviction at a contested trial"),
    Slot("judge.reasons", "judge", "trial", "case", "uniform", "the judgment gives reasons"),
    Slot("judge.suspension_view", "judge", "trial", "case", "normal", "error of the court's suspension view"),
    Slot("defendant.grievance", "defendant", "appeal window", "case", "normal", "felt unfairness (log)"),
    Slot("defendant.appeal_cost", "defendant", "appeal window", "case", "exponential", "hassle of appeal"),
    Slot("prosecutor.protests", "prosecutor", "appeal window", "case", "uniform", "protests (Art. 228)"),
    Slot("appeal.upper_judge", "court", "appeal window", "case", "integer", "second-instance judge"),
    Slot("triage.screen_slips", "court", "appeal window", "case", "uniform", "screen misses a ground"),
    Slot("triage.written", "court", "appeal window", "case", "uniform", "decided in writing"),
    Slot("judge.corrects", "judge", "second instance", "case", "uniform", "corrects a real defect"),
    # --- staff (per world and day), a fixed number of words per actor
    Slot("judge.drift", "judge", "day", "staff", "normal", "drift of the norm (log)", per="judge"),
    Slot("judge.leaves", "judge", "day", "staff", "uniform", "turnover", per="judge"),
    Slot("judge.newcomer_norm", "judge", "day", "staff", "normal", "a newcomer's norm (log)", per="judge"),
    Slot(
        "prosecutor.fresh_belief",
        "prosecutor",
        "day",
        "staff",
        "normal",
        "belief about a new judge's norm",
        per="prosecutor x judge",
    ),
    Slot("prosecutor.leaves", "prosecutor", "day", "staff", "uniform", "turnover", per="prosecutor"),
    Slot(
        "prosecutor.newcomer_belief",
        "prosecutor",
        "day",
        "staff",
        "normal",
        "a newcomer's beliefs about the judges' norms",
        per="prosecutor x judge",
    ),
    # --- setup (per world)
    Slot("judge.first_norm", "judge", "setup", "setup", "normal", "personal norm (log)", per="judge"),
    Slot(
        "prosecutor.first_belief",
        "prosecutor",
        "setup",
        "setup",
        "normal",
        "error of the belief about each judge's norm",
        per="prosecutor x judge",
    ),
)

SLOT: dict[str, Slot] = {s.name: s for s in SLOTS}
FACT_SLOTS = tuple(s.name for s in SLOTS if s.stream == "arrival" and s.draws != "poisson")
TAIL_SLOTS = tuple(s.name for s in SLOTS if s.stream == "tail")
CASE_SLOTS = tuple(s.name for s in SLOTS if s.stream == "case")
FACT_COLUMN = {name: i for i, name in enumerate(FACT_SLOTS)}
CASE_COLUMN: dict[str, int] = {}
for _name in CASE_SLOTS:
    CASE_COLUMN[_name] = sum(SLOT[n].uses for n in CASE_COLUMN)
BLOCK_WIDTH = sum(SLOT[n].uses for n in CASE_SLOTS)  # words of behaviour kept per case (docket ``draws``)
ROW_WIDTH = len(FACT_SLOTS) + BLOCK_WIDTH  # raw words per new case in its arrival stream

_REFILL_STRIDE = -(-BLOCK_WIDTH // 4)  # Philox counter steps per refilled block (four words a step)
_U52 = 2.0**-52
_U32 = 2.0**-32
_SHIFT12 = np.uint64(12)


def _open52(raw: np.ndarray) -> np.ndarray:
    """Uniforms on the open interval (0, 1) from 64-bit words: the top 52 bits, centred in their cell."""
    return ((raw >> _SHIFT12) + 0.5) * _U52


def _open32(words: np.ndarray) -> np.ndarray:
    """Uniforms on the open interval (0, 1) from 32-bit words, centred in their cell."""
    return (words + 0.5) * _U32


def _per_world(v: np.ndarray | float, worlds: int) -> np.ndarray:
    """A value per world, float64 (already so: as it is, without numpy's broadcast)."""
    if type(v) is np.ndarray and v.dtype == np.float64 and v.shape == (worlds,):
        return v
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (worlds,))


class Streams:
    """Opens any stream of a run: one Philox bit generator whose counter is set to the stream's start (the
    arrival streams), or the same words from the compiled generator (``sim.model.philox``: actors' and
    remand streams, many at once)."""

    def __init__(self, seed: int) -> None:
        key = np.random.SeedSequence(int(seed)).generate_state(2, np.uint64)
        self.bits = np.random.Philox(key=key)
        self.keys = philox.round_keys(key)  # the compiled generator's (``sim.model.philox``)
        self.gen = np.random.Generator(self.bits)
        self._state = self.bits.state
        self._layouts: dict[tuple[Kind, int, int, int], Layout] = {}

    def open(self, kind: Kind, world: int, day: int, position: int = 0) -> np.random.Generator:
        """The generator at the start of stream (kind, world, day), or ``position`` counter steps in."""
        st = self._state
        st["state"]["counter"] = np.array([position, day, world, int(kind)], dtype=np.uint64)
        st["buffer_pos"], st["has_uint32"], st["uinteger"] = 4, 0, 0
        self.bits.state = st
        return self.gen

    def arrivals(self, day: int, rate: float, worlds: int, tails: dict[str, tuple]) -> Arrivals:
        """Today's new cases of every world, drawn from their (world, day) streams. ``tails``: the beta
        shapes (a, b) of each ``TAIL_SLOTS`` slot, per world (arrays of ``worlds``) or the same for all."""
        counts = np.zeros(worlds, dtype=np.int64)
        raws: list[np.ndarray] = []
        tail_draws: dict[str, list[np.ndarray]] = {name: [] for name in TAIL_SLOTS}
        shapes = {k: [_per_world(v, worlds) for v in ab] for k, ab in tails.items()}
        for w in range(worlds):
            g = self.open(Kind.ARRIVAL, w, day)
            n = int(g.poisson(rate))
            counts[w] = n
            raws.append(self.bits.random_raw(n * ROW_WIDTH))
            for name in TAIL_SLOTS:
                a, b = shapes[name]
                tail_draws[name].append(g.beta(a[w], b[w], n))
        raw = np.concatenate(raws).reshape(-1, ROW_WIDTH) if worlds > 1 else raws[0].reshape(-1, ROW_WIDTH)
        tail = {k: (np.concatenate(v) if worlds > 1 else v[0]) for k, v in tail_draws.items()}
        return Arrivals(counts, raw, tail)

    def refill(self, worlds: np.ndarray, days: np.ndarray, seqs: np.ndarray) -> np.ndarray:
        """Fresh behaviour blocks (one row per case) for cases remanded for retrial: each from its own
        stream (``REMAND``, the case's world, arrival day and place among that day's arrivals), so a
        retried case decides anew on words no other case and no other arm's scheduling can touch."""
        out = np.empty((len(seqs), BLOCK_WIDTH), dtype=np.uint32)
        starts = np.asarray(seqs, dtype=np.int64) * _REFILL_STRIDE
        w, d = np.asarray(worlds, dtype=np.int64), np.asarray(days, dtype=np.int64)
        philox.remand_words(self.keys, int(Kind.REMAND), w, d, starts, out)
        return out

    def actors(self, kind: Kind, day: int, worlds: int, judges: int, prosecutors: int, pd: int) -> ActorDraws:
        """The draws of every actor for one day (``STAFF``) or the start (``SETUP``): per world ``judges``
        judges and ``prosecutors`` prosecutors, ``pd`` judges in a district."""
        key = (kind, judges, prosecutors, pd)
        if key not in self._layouts:
            shapes = {
                "judge": (judges,),
                "prosecutor": (prosecutors,),
                "prosecutor x judge": (prosecutors, pd),
            }
            stream = "staff" if kind == Kind.STAFF else "setup"
            self._layouts[key] = Layout(stream, {s.name: shapes[s.per] for s in SLOTS if s.stream == stream})
        return ActorDraws(self.keys, kind, day, worlds, self._layouts[key])


class Layout:
    """Where each slot's words sit in a world's actor stream (a fixed number per actor and slot, in ``SLOTS``
    order): ``at[slot]``, its first position and its shape. The per-actor slots (a few words per judge or
    prosecutor, not per pair) are computed together on the first request of any: the runs of positions
    ``small`` (start, width), each slot from column ``column[slot]`` of their words on."""

    def __init__(self, stream: str, shapes: dict[str, tuple[int, ...]]) -> None:
        self.stream = stream
        self.at: dict[str, tuple[int, tuple[int, ...]]] = {}
        self.column: dict[str, int] = {}
        spans: list[list[int]] = []
        p = self.width = 0
        for name, shape in shapes.items():
            self.at[name], n = (p, shape), math.prod(shape)
            if len(shape) == 1:
                self.column[name] = self.width
                spans.append([p, n])
                self.width += n
            p += n
        self.small = np.array(spans, dtype=np.int64).reshape(-1, 2)


class Arrivals:
    """One day's new cases (all worlds, world by world): their counts, facts and behaviour blocks."""

    def __init__(self, counts: np.ndarray, raw: np.ndarray, tail: dict[str, np.ndarray]) -> None:
        self.counts = counts
        self.total = int(counts.sum())
        # one row of raw 64-bit words per new case: its facts (``FACT_COLUMN``), then its behaviour block
        # (the top 32 bits of each word, as the docket keeps it: ``stages.review.arrive`` writes it)
        self.raw = raw
        self._tail = tail

    def uniform(self, slot: str) -> np.ndarray:
        return _open52(self.raw[:, FACT_COLUMN[slot]])

    def normal(self, slot: str) -> np.ndarray:
        return ndtri(self.uniform(slot))

    def exponential(self, slot: str, scale: float | np.ndarray) -> np.ndarray:
        return -np.log(self.uniform(slot)) * scale

    def integers(self, slot: str, k: int) -> np.ndarray:
        return np.minimum((self.uniform(slot) * k).astype(np.int64), k - 1)

    def beta(self, slot: str) -> np.ndarray:
        return self._tail[slot]


class ActorDraws:
    """One day's (or the start's) draws of every actor, in global actor order (world by world). Nothing is
    drawn up front: a slot's words are computed from their counters when first asked for (``words``, kept
    for the day), or only some actors' (``words_at``), so the words no rule reads today cost nothing."""

    def __init__(self, keys: np.ndarray, kind: Kind, day: int, worlds: int, layout: Layout) -> None:
        self._keys, self._kind, self._day, self._worlds, self._layout = keys, int(kind), day, worlds, layout
        self._words: dict[str, np.ndarray] = {}

    def uniform(self, slot: str, actors: np.ndarray | None = None) -> np.ndarray:
        """Each actor's uniform for ``slot`` (global actor order), or only those of ``actors`` (a mask or
        indices over the slot's first axis): a draw's value never depends on which actors are asked."""
        words = self.words(slot)
        return _open52(words if actors is None else words[actors])

    def normal(self, slot: str, actors: np.ndarray | None = None) -> np.ndarray:
        return ndtri(self.uniform(slot, actors))

    def _where(self, slot: str) -> tuple[int, tuple[int, ...]]:
        if SLOT[slot].stream != self._layout.stream:
            raise KeyError(f"{slot} is not a {self._layout.stream} slot")
        return self._layout.at[slot]

    def words(self, slot: str) -> np.ndarray:
        """The raw 64-bit words of ``slot``, one row per actor (global actor order), as ``uniform`` opens
        them: a compiled kernel opens them itself (``sim.model.actors.judge.uniform52``)."""
        hit = self._words.get(slot)
        if hit is not None:
            return hit
        at, shape = self._where(slot)
        lay = self._layout
        small = slot in lay.column  # then every per-actor slot at once: one call
        spans = lay.small if small else np.array([[at, math.prod(shape)]], dtype=np.int64)
        out = np.empty((self._worlds, lay.width if small else math.prod(shape)), dtype=np.uint64)
        philox.spans_words(self._keys, self._kind, self._day, spans, out)
        for name, c in lay.column.items() if small else ((slot, 0),):
            n, rest = math.prod(lay.at[name][1]), lay.at[name][1][1:]
            self._words[name] = out[:, c : c + n].reshape((-1, *rest))
        return self._words[slot]

    def words_at(self, slot: str, actors: np.ndarray) -> np.ndarray:
        """The words of ``slot`` of ``actors`` only (indices over its first axis, global actor order; shape
        ``(len(actors), *rest)``): ``words(slot)[actors]``, computed directly from their counters."""
        at, shape = self._where(slot)
        hit = self._words.get(slot)
        if hit is not None:
            return hit[actors]
        width = math.prod(shape[1:])
        worlds, local = np.divmod(np.asarray(actors, dtype=np.int64), shape[0])
        out = np.empty((len(worlds), width), dtype=np.uint64)
        philox.ranges_words(self._keys, self._kind, self._day, worlds, at + local * width, out)
        return out.reshape((len(worlds), *shape[1:]))


# --- a case's behavioural draws, read from its docket row


def uniform(m: LeniencyModel, slot: str, rows: np.ndarray, occurrence: int | np.ndarray = 0) -> np.ndarray:
    """The uniform a case draws for ``slot`` (its ``occurrence``-th time)."""
    return _open32(m.docket.draws[rows, CASE_COLUMN[slot] + occurrence])


def normal(m: LeniencyModel, slot: str, rows: np.ndarray, occurrence: int | np.ndarray = 0) -> np.ndarray:
    """A standard normal per case (exact inverse CDF of its uniform)."""
    return ndtri(uniform(m, slot, rows, occurrence))


def exponential(m: LeniencyModel, slot: str, rows: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
    """An exponential with mean ``scale`` per case."""
    return -np.log(uniform(m, slot, rows)) * scale


def integers(m: LeniencyModel, slot: str, rows: np.ndarray, k: int) -> np.ndarray:
    """An integer in [0, k) per case."""
    return np.minimum((uniform(m, slot, rows) * k).astype(np.int64), k - 1)


__all__ = [
    "BLOCK_WIDTH",
    "CASE_COLUMN",
    "CASE_SLOTS",
    "FACT_COLUMN",
    "FACT_SLOTS",
    "SLOTS",
    "ActorDraws",
    "Arrivals",
    "Kind",
    "Layout",
    "Slot",
    "Streams",
    "exponential",
    "integers",
    "normal",
    "uniform",
]
