"""`python -m proxy` is the `palata-proxy` command."""

import sys

from proxy.cli import main

sys.exit(main())
