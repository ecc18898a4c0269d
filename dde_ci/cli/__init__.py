"""The command line: one module per command group; only this package talks to the terminal."""
