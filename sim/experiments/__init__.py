"""Experiments: specs, designs, executors, sweeps, the result store, analysis and reports."""
