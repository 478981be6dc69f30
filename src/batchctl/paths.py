"""File names shared by the CLI and the config loader (kept free of heavy imports: `--help` reads them)."""

DEFAULT_CONFIG_FILE = "batchctl.yaml"
