"""The manifest: models, loader, whole-manifest checks and iteration ids."""
