"""Wording shared by the window's messages."""


def count(number: int, noun: str) -> str:
    """'1 photo', '3 photos', '12,345 files': messages read as sentences, never 'photo(s)'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
