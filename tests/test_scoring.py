from localize.scoring import cer, edit_distance


def test_cer_ignores_punctuation_and_spaces() -> None:
    assert cer("今天 天气，很好。", "今天天气很好") == 0.0


def test_cer_counts_substitutions_insertions_deletions() -> None:
    assert cer("今天天汽很好", "今天天气很好") == 1 / 6
    assert cer("今天天气很好啊", "今天天气很好") == 1 / 6
    assert cer("今天气很好", "今天天气很好") == 1 / 6


def test_edit_distance_basics() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
