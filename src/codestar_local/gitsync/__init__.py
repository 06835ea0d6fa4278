"""Git sync from real Git: what a push to the emulator's remote triggers (docs/GITSYNC.md).

attempts: recording sync attempts and blockers (shared with the simulated push of the control API);
checks: reading the deployment file and checking the template; engine: a push's branches to syncs.
"""
