"""The `dangan` command line: one module per feature, all registered in main."""
