"""GitHub Actions engine: workflow generator, API client, run control (PyGithub only here)."""
