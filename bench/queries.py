"""Query sets drawn from the data itself: deterministic for a given seed and sample.

Each class gets a realistic mixture (shares configurable, defaults 10 / 80 / 10 %):
  common    the most frequent substrings in the sample ("有限公司", "公司", "科技"…): long posting lists;
  moderate  a random substring of a random legal-person name, kept only if it occurs in at most
            1 % of the sampled names: what people mostly type (part of a company's name);
  none      strings that match nothing (verified against the database by the caller): a one-character
            "typo" in a real substring / a random pair of name characters / a valid but unused USCC.
USCCs: real codes of sampled legal persons, plus valid-checksum codes that no subject has.

The document frequency ("df") of a substring is estimated on the sample of names; it decides which
substrings count as common. The real hit count of every query is measured afterwards and reported.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from portal.lib import uscc as uscc_rules
from portal.lib.ngrams import bigrams, normalize_query

COMMON_SHARE = 0.10
NONE_SHARE = 0.10
MODERATE_MAX_DF = 0.01


def _split(n: int) -> tuple[int, int, int]:
    n_common = max(1, round(n * COMMON_SHARE))
    n_none = max(1, round(n * NONE_SHARE))
    return n_common, n - n_common - n_none, n_none


def _runs(name: str) -> list[str]:
    """Maximal runs of letters/digits (what the search treats as searchable text)."""
    runs, cur = [], []
    for ch in normalize_query(name) + " ":
        if ch.isalnum():
            cur.append(ch)
        else:
            if cur:
                runs.append("".join(cur))
            cur = []
    return runs


def _long_substrings(name: str, lo: int, hi: int) -> set[str]:
    out = set()
    for run in _runs(name):
        for length in range(lo, min(hi, len(run)) + 1):
            for i in range(len(run) - length + 1):
                out.add(run[i : i + length])
    return out


class Picker:
    def __init__(self, names: Sequence[str], usccs: Sequence[str], seed: int) -> None:
        self.names = list(names)
        self.usccs = [u for u in usccs if u]
        self.rng = random.Random(seed)
        self.n = max(1, len(self.names))
        self.df2: Counter[str] = Counter()
        self.dfl: Counter[str] = Counter()
        alphabet: Counter[str] = Counter()
        for name in self.names:
            self.df2.update(bigrams(name))
            self.dfl.update(_long_substrings(name, 3, 6))
            alphabet.update(ch for run in _runs(name) for ch in run)
        # Characters weighted by frequency, so "typos" use plausible name characters.
        self.alphabet = sorted(alphabet)
        self.alphabet_weights = [alphabet[c] for c in self.alphabet]

    def _char(self) -> str:
        return self.rng.choices(self.alphabet, weights=self.alphabet_weights)[0]

    def _top(self, df: Counter[str], k: int, taken: set[str]) -> list[str]:
        ranked = sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))
        out = [s for s, _ in ranked if s not in taken][:k]
        taken.update(out)
        return out

    def _moderate(self, k: int, sample_fn, df: Counter[str], taken: set[str]) -> list[str]:
        out: list[str] = []
        for _ in range(k * 200):
            if len(out) == k:
                break
            s = sample_fn()
            if not s or s in taken or df[s] / self.n > MODERATE_MAX_DF:
                continue
            taken.add(s)
            out.append(s)
        return out

    # -- candidate generators -------------------------------------------------------------

    def _random_bigram(self) -> str | None:
        grams = bigrams(self.rng.choice(self.names))
        return self.rng.choice(grams) if grams else None

    def _random_long(self) -> str | None:
        runs = [r for r in _runs(self.rng.choice(self.names)) if len(r) >= 3]
        if not runs:
            return None
        run = self.rng.choice(runs)
        length = self.rng.randint(3, min(6, len(run)))
        i = self.rng.randint(0, len(run) - length)
        return run[i : i + length]

    def none_bigram(self) -> str:
        while True:
            s = self._char() + self._char()
            if s not in self.df2 and s[0] != s[1]:
                return s

    def none_long(self) -> str:
        while True:
            s = self._random_long()
            if not s:
                continue
            i = self.rng.randrange(len(s))
            t = s[:i] + self._char() + s[i + 1 :]
            if t not in self.dfl:
                return t

    def none_uscc(self) -> str:
        base = self.rng.choice(self.usccs)
        chars = list(base[:17])
        for i in self.rng.sample(range(8, 17), 3):  # the 主体标识码 part
            chars[i] = self.rng.choice(uscc_rules.CHARSET)
        return uscc_rules.make("".join(chars))

    # -- the sets ----------------------------------------------------------------------------

    def two_char(self, n: int) -> tuple[list[dict], int]:
        """Common and moderate 2-character queries, and how many `none` ones the caller must add."""
        n_common, n_mod, n_none = _split(n)
        taken: set[str] = set()
        items = [{"q": s, "sub": "common", "df": self.df2[s] / self.n} for s in self._top(self.df2, n_common, taken)]
        items += [
            {"q": s, "sub": "moderate", "df": self.df2[s] / self.n}
            for s in self._moderate(n_mod, self._random_bigram, self.df2, taken)
        ]
        return items, n - len(items)

    def long(self, n: int) -> tuple[list[dict], int]:
        n_common, n_mod, n_none = _split(n)
        taken: set[str] = set()
        items = [{"q": s, "sub": "common", "df": self.dfl[s] / self.n} for s in self._top(self.dfl, n_common, taken)]
        items += [
            {"q": s, "sub": "moderate", "df": self.dfl[s] / self.n}
            for s in self._moderate(n_mod, self._random_long, self.dfl, taken)
        ]
        return items, n - len(items)

    def uscc(self, n: int) -> tuple[list[dict], int]:
        _, n_real, n_none = _split(n)
        n_real += max(1, round(n * COMMON_SHARE))  # USCCs have no "common" class: all real ones
        real = self.rng.sample(self.usccs, min(n_real, len(self.usccs)))
        return [{"q": u, "sub": "existing"} for u in real], n - len(real)
