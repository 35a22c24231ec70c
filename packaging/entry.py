"""The bundle's one program: `phototag` (the command line; `phototag gui` opens the window)."""

import multiprocessing

if __name__ == "__main__":
    # Decode workers are spawned processes: in a frozen app they start by re-running this file,
    # and freeze_support() turns them into workers before the command line is imported (a
    # worker needs only core/ingest/decode_pool.py's imports).
    multiprocessing.freeze_support()
    from phototag.cli.main import main

    main()
