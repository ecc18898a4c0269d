"""dde-ci: make a team's delivery plan executable."""

__version__ = "0.1.0"
