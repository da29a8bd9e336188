"""``python main.py [CHECKPOINT]`` opens the window, like ``latent-explorer``;
``python main.py COMMAND ...`` runs a headless command."""

import sys

from explorer.app import main

if __name__ == "__main__":
    sys.exit(main())
