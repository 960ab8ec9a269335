"""How heat-capsule shortens the text it shows: one rule for both sides.

Pure standard library, like ``heat_capsule.bounds``: the Heat side (status
reasons, ``validate()`` messages) and the engine (Docker's reasons, echoed
input in a 400) import it.
"""

ELLIPSIS = '...'


def shorten(text, limit, one_line=False):
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis.

    :param text: any object; its ``str()`` is shortened.
    :param limit: the longest result, in characters (> len(ELLIPSIS)).
    :param one_line: first collapse every run of whitespace (line breaks
        included) into one space, for a reason quoted inside a sentence
        (Docker's messages span lines).
    :returns: the text as it is when within ``limit``; else its start,
        without trailing whitespace, and ``...``.
    """
    text = str(text)
    if one_line:
        text = ' '.join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
