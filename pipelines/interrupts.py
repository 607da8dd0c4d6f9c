"""Signals for the long-running servers the project starts (`edusandbox ui`, the UI tests).

A process started in the background by a non-interactive shell (`cmd &` in a script or CI) inherits SIGINT
ignored, and an ignored signal stays ignored across exec. Dagster's processes then copy SIGINT's disposition
onto SIGTERM, so `dagster dev` would ignore Ctrl-C and SIGTERM alike and only SIGKILL would stop it, leaving
its webserver, daemon and code server behind. Resetting both to their defaults before exec avoids that."""

import signal


def restore_default_signals() -> None:
    """SIGINT and SIGTERM back to their default action and no signal blocked (for this process and, since
    dispositions and the mask survive exec, for a program it then executes)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
