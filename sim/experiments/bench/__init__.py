"""`leniency bench`: measurements in fresh processes, the scaling and comparison runs, and the report."""
