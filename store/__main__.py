"""`python -m store` is `agentdesk-store`."""

import sys

from store.cli import main

sys.exit(main())
