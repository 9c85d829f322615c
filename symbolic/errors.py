"""The one exception type the command line turns into a one-line message and exit code 1."""


class SymgenError(Exception):
    """Bad input or an unmet requirement: the message says what is wrong and what to do."""
