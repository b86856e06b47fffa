"""leniency-sim: an agent-based simulation of plea bargaining under China's leniency system and its relief."""

__version__ = "0.1.0"
