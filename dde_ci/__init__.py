"""dde-ci: make a team's delivery plan executable."""

from importlib import import_module

__all__ = ["__version__"]

try:  # written by the build from Git (hatch-vcs); see dde_ci/build.py
    __version__: str = import_module("dde_ci._build").version
except ImportError:  # built without Git metadata: the installed distribution's version
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("dde-ci")
    except PackageNotFoundError:  # pragma: no cover - a source tree never installed
        __version__ = "0+unknown"
