"""Emotion categories of CAER / CAER-S / NCAER-S and their spellings."""
from typing import Dict

# The seven categories in the order used by both papers and by the published
# CAER-S face-box lists (label 0 = Anger, ..., 6 = Surprise).
CAER_CLASSES = ('Anger', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad',
                'Surprise')

# Spellings of the class folders and labels seen in the distributed datasets
# and in derived annotation files (lower-case keys).
_ALIASES: Dict[str, str] = {
    'anger': 'Anger',
    'angry': 'Anger',
    'disgust': 'Disgust',
    'disgusted': 'Disgust',
    'fear': 'Fear',
    'fearful': 'Fear',
    'afraid': 'Fear',
    'scared': 'Fear',
    'happy': 'Happy',
    'happiness': 'Happy',
    'neutral': 'Neutral',
    'sad': 'Sad',
    'sadness': 'Sad',
    'surprise': 'Surprise',
    'surprised': 'Surprise',
}


def normalize_class_name(name: str, source: str = '') -> str:
    """Map a spelling of an emotion category to its name in ``CAER_CLASSES``.

    The match is case-insensitive and ignores surrounding white space, so
    ``'angry'``, ``'Anger'`` and ``'ANGER '`` all give ``'Anger'``.

    Args:
        name (str): The spelling, e.g. a class folder name.
        source (str): Where the name comes from (a folder or file path),
            quoted in the error message. Defaults to ''.

    Returns:
        str: The canonical category name, one of ``CAER_CLASSES``.

    Raises:
        ValueError: If ``name`` is not a known spelling of a category.
    """
    canonical = _ALIASES.get(name.strip().lower())
    if canonical is None:
        where = f' (in {source})' if source else ''
        raise ValueError(
            f'Unknown emotion category {name!r}{where}; expected one of '
            f'{CAER_CLASSES} or a known spelling of them '
            f'({sorted(_ALIASES)}).')
    return canonical
