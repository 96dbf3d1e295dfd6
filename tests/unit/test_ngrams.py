"""Short-gram tokens for 1–2 character search (portal.lib.ngrams)."""

from hypothesis import given
from hypothesis import strategies as st

from portal.lib.ngrams import bigrams, search_chars, short_grams


def test_punctuation_breaks_runs_and_width_is_folded():
    assert bigrams("郑州（中原）ＡＢ") == ["郑州", "中原", "ab"]
    assert "州中" not in bigrams("郑州（中原）")
    assert short_grams("郑州郑") == ["郑", "州", "郑州", "州郑"]


names = st.text(alphabet=st.sampled_from(list("郑州宇通客车有限公司（）AB12 ")), min_size=0, max_size=20)


@given(names, st.data())
def test_every_one_or_two_char_substring_of_the_name_is_a_token(name, data):
    chars = search_chars(name)
    tokens = set(short_grams(name))
    for ch in chars:
        assert ch in tokens
    # Any adjacent pair inside a run of letters/digits is findable.
    for run in "".join(c if c.isalnum() else " " for c in name.lower()).split():
        run = search_chars(run)
        for i in range(len(run) - 1):
            assert run[i : i + 2] in tokens
