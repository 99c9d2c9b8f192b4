"""``python -m symgeom``: the same as the ``symgeom`` command."""

import sys

from symgeom.cli import main

sys.exit(main())
