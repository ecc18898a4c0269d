"""Contracts: load, resolve, diff, lock, publish, verify and trace the history of API contracts."""
