"""Experiment designs: the one spec loader and strict base that every spec uses (``file``: sweep, search and
calibration specs), the sweep's spec (arms, factors, outcomes), the plan of runs (design points, seeds,
batches) and the posterior draws a replication runs with."""
