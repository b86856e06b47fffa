"""The condition of ``leniency discover --when``: ``effect(REFORM, METRIC) > v`` (the reform arm's paired
per-world difference from the baseline arm) or ``METRIC > v`` (an outcome threshold), with any of
``> >= < <=``. Parsed with Python's ``ast`` against a whitelist: user text is never evaluated."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from sim.model.errors import ScenarioError

OPS: dict[type[ast.cmpop], str] = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<="}
FORMS = "effect(REFORM, METRIC) > v  or  METRIC > v  (comparisons: > >= < <=; v a number)"


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: ``reform`` is None for a plain outcome threshold."""

    metric: str
    op: str
    value: float
    reform: str | None = None

    @property
    def text(self) -> str:
        term = f"effect({self.reform}, {self.metric})" if self.reform else self.metric
        return f"{term} {self.op} {self.value:g}"


def _bad(text: str, why: str) -> ScenarioError:
    return ScenarioError(f'--when "{text}": {why}; write {FORMS}')


def _number(node: ast.expr, text: str) -> float:
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return sign * float(value)
    raise _bad(text, "the right-hand side must be a number")


def _name(node: ast.expr, text: str, what: str) -> str:
    if isinstance(node, ast.Name):
        return node.id
    raise _bad(text, f"{what} must be a bare name")


def parse_condition(text: str, reforms: Sequence[str], metrics: Sequence[str]) -> Condition:
    """The condition in ``text``, its names checked against the sweep's reform arms and outcomes; anything
    else raises one ScenarioError naming what is allowed."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise _bad(text, "not an expression") from None
    node = tree.body
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in OPS):
        raise _bad(text, "must be one comparison")
    op = OPS[type(node.ops[0])]
    left, value = node.left, _number(node.comparators[0], text)
    reform = None
    if isinstance(left, ast.Call):
        if not (isinstance(left.func, ast.Name) and left.func.id == "effect"):
            raise _bad(text, "the only function is effect(REFORM, METRIC)")
        if len(left.args) != 2 or left.keywords:
            raise _bad(text, "effect takes two names: effect(REFORM, METRIC)")
        reform = _name(left.args[0], text, "REFORM")
        metric = _name(left.args[1], text, "METRIC")
        if reform not in reforms:
            raise ScenarioError(
                f'--when "{text}": unknown reform {reform!r}; allowed (the sweep\'s arms other than the '
                f"baseline): {', '.join(reforms) or 'none: the sweep has no arm besides the baseline'}"
            )
    else:
        metric = _name(left, text, "METRIC")
    if metric not in metrics:
        raise ScenarioError(
            f'--when "{text}": unknown metric {metric!r}; allowed (the sweep\'s outcomes): '
            f"{', '.join(metrics)}"
        )
    return Condition(metric, op, value, reform)
