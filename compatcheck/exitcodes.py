"""Process exit codes, shared by every command (documented in README and --help)."""

OK = 0  # every module loads on every selected build / was read and is valid
FAILURE = 1  # a predicted load failure, or a malformed/invalid module
USAGE = 2  # bad arguments, unreadable path, bad spec
INTERNAL = 3  # a bug in compatcheck (reported in one line)
INTERRUPTED = 130  # Ctrl-C (SIGINT); child processes are stopped and temporary files removed
TERMINATED = 143  # SIGTERM, likewise

HELP = ("Exit codes: 0 = everything loads (inspect: every file read and valid); "
        "1 = a predicted failure or a malformed/invalid module; "
        "2 = usage error, unreadable input or bad spec; 3 = internal error; "
        "130/143 = interrupted (SIGINT/SIGTERM).")
