"""Characters that PDFs and text files give for what the text of record spells otherwise.

Applied first, to every PDF text run and every text format as decoded (``unligature``), so that
search, the models and every quote see letters and bullets they know.
"""

from __future__ import annotations

# The Unicode ligatures (U+FB00-FB06) that LaTeX papers' PDFs extract as one character: the models'
# word pieces do not know them ("ﬁne" reads "ﬁ ##ne", "eﬀective" [UNK]), so the text keeps the letters.
# Bullets of the Symbol and Wingdings fonts come out as private-use characters (U+F0B7, U+F0A7,
# U+F0D8 ...) that show as an empty box and mark no list item: they read as "•". Not U+F06C, U+F06E,
# U+F075, U+F076, Wingdings bullets too but Greek letters of the Symbol font.
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                           "\ufb05": "st", "\ufb06": "st", **dict.fromkeys(map(chr, (
                               0xF0A7, 0xF0A8, 0xF0B7, 0xF0D8, 0xF0E0, 0xF0E8, 0xF0FC)), "•")})


def unligature(text: str) -> str:
    """``text`` with each ligature character spelt out as its letters ("ﬁne" -> "fine") and each
    private-use bullet as "•"."""
    return text.translate(LIGATURES)
