"""Job images: build through the Docker SDK and push to the cluster's ECR repository."""
