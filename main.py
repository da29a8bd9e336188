"""``python main.py [ARGS]`` does what the ``latent-explorer`` command does."""

import sys

from explorer.cli import main

if __name__ == "__main__":
    sys.exit(main())
