"""CLI subcommands, one module each; see :mod:`segmentation.cli`."""
