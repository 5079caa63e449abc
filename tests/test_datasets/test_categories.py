import pytest

from glamor_mm.datasets import CAER_CLASSES, normalize_class_name


def test_papers_order():
    assert CAER_CLASSES == ('Anger', 'Disgust', 'Fear', 'Happy', 'Neutral',
                            'Sad', 'Surprise')


@pytest.mark.parametrize('name,expected', [('Anger', 'Anger'),
                                           ('angry', 'Anger'),
                                           ('ANGRY', 'Anger'),
                                           ('Disgusted', 'Disgust'),
                                           ('fearful', 'Fear'),
                                           ('Afraid', 'Fear'),
                                           ('Happiness', 'Happy'),
                                           ('happy', 'Happy'),
                                           (' Neutral ', 'Neutral'),
                                           ('Sadness', 'Sad'),
                                           ('surprised', 'Surprise'),
                                           ('Surprise', 'Surprise')])
def test_spellings(name, expected):
    assert normalize_class_name(name) == expected


def test_unknown_name_names_the_folder():
    with pytest.raises(ValueError, match=r"'Contempt' \(in data/x/Contempt\)"):
        normalize_class_name('Contempt', 'data/x/Contempt')
