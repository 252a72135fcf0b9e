"""HTTP pieces shared by every process that serves HTTP: the API (rules and
streams) and the filter nodes' operations port. Imports nothing of either."""
