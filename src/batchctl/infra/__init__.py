"""The cluster's infrastructure as AWS CDK constructs, synthesized in-process to a CloudFormation template.

The only package that imports aws_cdk; import `batchctl.infra.synth` lazily, where a template is built.
`cidr` is plain Python and cheap to import (configuration checks use it).
"""

import os

# jsii prints a large banner on stderr when Node is deprecated or end-of-life; it would break the
# CLI's output. Users can still see it by setting these variables themselves.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "14,16,18,20")
