"""The bundle's entry script: the same as the ``agentdesk`` command."""

import sys

from desktop.__main__ import main

sys.exit(main())
