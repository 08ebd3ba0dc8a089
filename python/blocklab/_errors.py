class BlockLabError(Exception):
    """Something the user can fix: the blocklab command missing or failing, a bad value."""
