"""One botocore data loader per process: the JSON it reads (endpoints, service models) is parsed once.

The region check (config.regions) and every client of every session share it; two loaders parse endpoints.json
twice, which costs a read-only command a noticeable share of its start-up.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.loaders import Loader


@functools.cache
def shared_loader() -> Loader:
    from botocore.loaders import create_loader

    # As a botocore session makes its own: the default paths, then AWS_DATA_PATH's.
    return create_loader(os.environ.get("AWS_DATA_PATH"))
