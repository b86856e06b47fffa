"""Scenario discovery over a sweep (``leniency discover``): where in the space of inputs does a condition on
the outcomes hold? EMA Workbench's PRIM finds the box, CART gives a second view; the names follow EMA's
(uncertainties, levers, outcomes) so results move to EMA and back."""
