"""The one error of bad input to the model (scenario files, overlays, --set, specs built on them), in a module
of its own so that the command line can name it without loading the schema."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad scenario input: the message names the file, the key path and what is allowed."""
