"""The segmentation benchmark's core on hand-made paragraphs: what is meant, what each method finds, the scores."""

import pytest

from bench.segmentation_bench import (
    BIGRAMS,
    JIEBA,
    ClassScores,
    Lexicon,
    QueryScore,
    accidental_terms,
    average_precision,
    class_scores,
    generate_corpus,
    gold_sets,
    hybrid_order,
    main,
    meant_in,
    paragraph_from,
    precision_at,
    query_terms,
    run_method,
    score,
    vocabulary,
    with_ocr_noise,
)


@pytest.fixture
def drought() -> list:
    """抗旱 is a word in the second paragraph, a part of a compound in the first, and only a substring of 抵抗旱灾."""
    lexicon = Lexicon()
    tokens = (["做好", "防汛+抗旱", "工作"], ["抗旱", "救灾"], ["抵抗", "旱灾"])
    return [paragraph_from(list(words), lexicon) for words in tokens]


def test_compounds_mean_their_parts_at_every_depth() -> None:
    lexicon = Lexicon()
    law = lexicon.word("中华人民共和国+档案法")

    assert law == "中华人民共和国档案法"
    assert lexicon.leaves(law) == ["中华", "人民", "共和", "国", "档案", "法"]
    assert {"中华人民共和国", "共和国", "共和", "国", "档案法", "档案", "法"} <= lexicon.meanings(law)
    with pytest.raises(ValueError, match="segmented both"):
        lexicon.word("中华人+民共和国")


def test_a_term_is_meant_only_from_boundary_to_boundary() -> None:
    paragraph = paragraph_from(["根据", "中华+人民+共和国", "宪法"], Lexicon())

    assert meant_in("人民", paragraph) and meant_in("共和国", paragraph) and meant_in("人民共和国", paragraph)
    assert not meant_in("华人", paragraph) and not meant_in("民共", paragraph) and not meant_in("法律", paragraph)


def test_bigrams_find_every_substring_and_jieba_its_words(drought) -> None:
    texts = [paragraph.text for paragraph in drought]
    gold = gold_sets(drought, ["抗旱", "汛抗"])

    bigrams, jieba_words = run_method(BIGRAMS, texts, gold), run_method(JIEBA, texts, gold)

    assert gold == {"抗旱": {0, 1}, "汛抗": set()}
    assert sorted(bigrams.found["抗旱"]) == [0, 1, 2] and bigrams.found["汛抗"] == [0]
    assert sorted(jieba_words.found["抗旱"]) == [0, 1] and jieba_words.found["汛抗"] == []  # jieba 0.42.1
    assert score(bigrams.found["抗旱"], gold["抗旱"]) == QueryScore(1.0, 2 / 3)
    assert score(bigrams.found["汛抗"], gold["汛抗"]) == QueryScore(None, 0.0)
    assert score(jieba_words.found["汛抗"], gold["汛抗"]) == QueryScore(None, None)
    assert bigrams.tokens_per_paragraph == pytest.approx(16 / 3) and bigrams.index_bytes > bigrams.inverted_bytes > 0


def test_class_scores_are_macro_averages() -> None:
    scores = class_scores([QueryScore(1.0, 2 / 3), QueryScore(0.5, 1.0), QueryScore(0.0, None),
                           QueryScore(None, 0.0)])

    assert scores == ClassScores(queries=4, recall=0.5, precision=pytest.approx(5 / 9), zero_recall=1, false_hits=2)
    assert scores.f1 == pytest.approx(2 * 0.5 * (5 / 9) / (0.5 + 5 / 9))
    assert class_scores([QueryScore(None, None)]).f1 is None


def test_ranking_puts_what_jieba_matches_first() -> None:
    meant = frozenset({0, 1})

    assert average_precision([2, 0, 1], meant) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert hybrid_order([2, 0, 1], {1, 0}) == [0, 1, 2]
    assert average_precision([0, 1, 2], meant) == 1.0 and average_precision([2], meant) == 0.0
    assert precision_at([2, 0, 1], meant, depth=2) == 0.5 and precision_at([], meant) == 0.0


def test_accidental_strings_cross_boundaries_and_are_dictionary_words() -> None:
    paragraphs = [paragraph_from(["中华+人民+共和国", "成立"], Lexicon())]

    accidental = accidental_terms(paragraphs, limit=100, seed=1)

    assert "华人" in accidental and "民共" not in accidental  # both cross a boundary; jieba knows only 华人
    assert not {"中华", "人民", "共和国", "人民共和国", "国成立"} & set(accidental)


def test_the_generated_corpus_keeps_its_segmentation() -> None:
    lexicon = Lexicon()
    paragraphs = generate_corpus(40, seed=3, lexicon=lexicon)
    words = query_terms(vocabulary(paragraphs, lexicon))

    assert paragraphs == generate_corpus(40, seed=3, lexicon=Lexicon())
    assert all(max(paragraph.boundaries) == len(paragraph.text) for paragraph in paragraphs)
    assert all(meant_in(word, paragraph) for paragraph in paragraphs for word in paragraph.words)
    assert {"防汛", "抗旱", "档案", "人民", "局", "号"} & set(words) and all(len(word) <= 4 for word in words)


def test_ocr_noise_damages_about_the_share_asked() -> None:
    texts = ["关于做好防汛抗旱工作的通知" * 400]

    noisy = with_ocr_noise(texts, 0.02, seed=5)[0]

    assert with_ocr_noise(texts, 0.0, seed=5) == texts
    assert 0.985 * len(texts[0]) < len(noisy) < 0.999 * len(texts[0])  # about 1 % dropped
    assert noisy != texts[0] and noisy == with_ocr_noise(texts, 0.02, seed=5)[0]


def test_the_script_prints_its_tables(capsys) -> None:
    assert main(["--paragraphs", "40", "--accidental", "5"]) == 0

    printed = capsys.readouterr().out
    assert "clean text" in printed and "OCR noise" in printed and "famous ambiguities" in printed
    assert "bigrams (ours)" in printed and "jieba search mode first" in printed
