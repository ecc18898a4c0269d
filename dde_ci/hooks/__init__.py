"""Git hooks: commit, branch and pull-request conventions that name the node being built."""
