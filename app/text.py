"""Wording shared by the window's messages."""


def count(number: int, noun: str) -> str:
    """'1 photo', '3 photos', '12,345 files': messages read as sentences, never 'photo(s)'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def percent(score: float) -> str:
    """A 0..1 score as people read it, '62%': one function, so the photo's badge, the details
    pane and the threshold readout print the same number for the same score."""
    return f"{round(score * 100)}%"
