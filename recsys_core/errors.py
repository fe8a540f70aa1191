"""Errors a user can act on. Their message is one line: what is wrong, where, and what to do."""


class UserError(Exception):
    """Raised for bad input or an impossible request; shown verbatim in the UI and the CLI."""
