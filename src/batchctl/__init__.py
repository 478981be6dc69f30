"""batchctl: AWS Batch clusters from one YAML file, and the job workflow on top of them."""

__version__ = "0.1.0"
