"""Subcommands of the `leniency` CLI; each module exposes ``register(subparsers)``."""
