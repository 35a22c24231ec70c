"""The bundle's one program: `phototag` (the command line; `phototag gui` opens the window)."""

import multiprocessing

from phototag.cli.main import main

if __name__ == "__main__":
    # Decode workers are spawned processes: in a frozen app they start by re-running this file.
    multiprocessing.freeze_support()
    main()
