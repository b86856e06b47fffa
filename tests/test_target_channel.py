"""The target-channel decomposition page: its plain words follow the numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.fitting import target_channel as tc


def table(inv_effect: float) -> pd.DataFrame:
    rows = []
    for variant in tc.VARIANTS:
        for metric in tc.METRICS:
            e = inv_effect if metric == "involuntary_plea_rate" and variant == "the full channel" else 0.5
            rows.append(
                {
                    "variant": variant,
                    "metric": metric,
                    "control": 1.0,
                    "effect": e,
                    "low": e - 0.1,
                    "high": e + 0.1,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("effect", "word"), [(0.5, "raises"), (-0.5, "lowers"), (0.0, "does not")])
def test_the_summary_states_the_direction_the_interval_shows(effect: float, word: str) -> None:
    text = tc.page(table(effect), [1, 2, 3])
    assert f"Target pressure {word}" in text
    assert text.count("\n| `") == len(tc.METRICS)


def test_one_seed_is_refused() -> None:
    with pytest.raises(SystemExit) as e:
        tc.main(["--seeds", "1"])
    assert e.value.code == 2
