"""``python -m bgwizard``: the command line (see ``bgwizard.cli.main``)."""

from __future__ import annotations

import sys

from bgwizard.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
