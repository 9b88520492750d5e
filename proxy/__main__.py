"""`python -m proxy` is the `palata-proxy` command."""

import sys

from proxy.cli import main

if __name__ == "__main__":  # worker processes may import this module; they must not run main
    sys.exit(main())
