"""GitHub Actions engine: workflow generator, API client, run control (only here is PyGithub used)."""
