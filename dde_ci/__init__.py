"""dde-ci: make a team's delivery plan executable."""

try:  # written by the build from Git (hatch-vcs); see dde_ci/build.py
    from dde_ci._build import version as __version__  # type: ignore[import-not-found]
except ImportError:  # built without Git metadata: the installed distribution's version
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("dde-ci")
    except PackageNotFoundError:  # pragma: no cover - a source tree never installed
        __version__ = "0+unknown"
