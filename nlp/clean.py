"""Page furniture: the lines of a text pasted from a web page that are not the article.

`furniture(text)` lists the lines to drop, each as (start, end, kind) with `end` past its line
break: navigation and share words, "Short Url" and bare links, timestamps and bylines on their
own lines, photo captions and credits, "Advertisement", newsletter and follow prompts, copyright
lines, and "Read more" / "Related" lists. A line is dropped whole or kept whole - nothing inside
a sentence is rewritten - so what is kept still slices the original text (`Document` keeps its
offsets). Article prose never matches: every rule needs a line that is furniture from end to end.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from nlp.sentences import is_byline, is_closed, is_list_item

_NAVIGATION = """home|news|world|asia|asia pacific|asia-pacific|americas|europe|africa|middle east|politics|business
|economy|markets|opinion|opinions|analysis|sport|sports|tech|technology|science|health|culture|lifestyle|entertainment
|travel|video|videos|photos|gallery|live|latest|top stories|trending|most read|menu|search|sections|subscribe|sign in
|sign up|log in|login|logout|register|account|my account|newsletters|newsletter|podcasts|north korea|south korea
|korea|korean peninsula|national|nation|international|defense|defence|diplomacy|security|more|next|previous|prev
|back to top|top|skip to content|skip to main content|skip navigation|close|toggle navigation|edition|english|about us
|contact us|contact|privacy policy|terms of use|terms of service|cookie policy|cookies|accessibility|careers|read
|min|mins|minute|minutes|world news|asia news|breaking news|nk news|features|feature|explainer|editorial|columns""".replace(
    "\n", ""
)
_SHARE = """share|share this|share this article|share this story|share on facebook|share on twitter|share on x
|share via email|share on whatsapp|facebook|twitter|x|whatsapp|telegram|linkedin|reddit|pinterest|email|e-mail|mail
|print|copy|copy link|link copied|comments|comment|save|saved|bookmark|gift article|gift this article|listen
|listen to this article|font size|text size|a+|a-|aa|tweet|like|follow|flipboard|kakaotalk|line|weibo|wechat""".replace(
    "\n", ""
)
_ADVERT = """advertisement|advertising|ad|ads|sponsored|sponsored content|paid content|partner content|promoted
|story continues below|story continues below advertisement|article continues below|article continues below advertisement
|continue reading|continue reading below|scroll to continue|scroll to continue with content|ad feedback
|report this ad|skip advertisement""".replace("\n", "")
_PHRASES = {
    **dict.fromkeys(_NAVIGATION.split("|"), "navigation"),
    **dict.fromkeys(_SHARE.split("|"), "share"),
    **dict.fromkeys(_ADVERT.split("|"), "advertisement"),
}
_LONGEST_PHRASE = max(len(p.split()) for p in _PHRASES)
_SEPARATORS = re.compile(r"[|\u2022\u00b7/>\u00bb\u00ab\u203a\u2039,:;()\[\]\u2013\u2014\u2190\u2192\u25b6]+")
_COUNT = re.compile(r"^\d[\d.,]*[km]?$")

_SHORT_URL = re.compile(r"^\s*short\s*(?:url|link)\b", re.I)
_URL = re.compile(r"^\s*<?(?:https?://|www\.)\S+>?\s*$", re.I)
_TAGS = re.compile(r"^\s*(?:tags?|topics?|filed under|keywords?|categories|category)\s*:", re.I)

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_DATE_SIGNAL = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}|\b\d{{4}}-\d{{2}}-\d{{2}}|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b"
    r"|\b\d{1,2}[:.]\d{2}\b|\b\d+\s*(?:hours?|hrs?|minutes?|mins?|days?)\s+ago\b|\bmin(?:ute)?s?\s+read\b",
    re.I,
)
_TIME_TOKEN = re.compile(
    rf"^(?:{_MONTH}|{_WEEKDAY}|\d[\d:./tz+-]*(?:am|pm|st|nd|rd|th|h)?|[ap]\.?m\.?|published|updated|posted|last|first|"
    r"modified|on|at|gmt|utc|kst|jst|est|edt|et|pt|pst|pdt|bst|cet|cest|hkt|sgt|ago|hours?|hrs?|minutes?|mins?|"
    r"seconds?|days?|yesterday|today|read|reading|time|and|of|the|local)$",
    re.I,
)
_STAFF = re.compile(
    r"^(?:[A-Z][\w.'\u2019-]+\s+){1,3}[A-Z][\w.'\u2019-]+\s*[|,\u2013\u2014-]\s*(?:(?:staff|senior|chief|foreign)\s+)?"
    r"(?:reporter|writer|correspondent|editor|contributor|columnist|reuters|ap|afp|yonhap|associated press|bloomberg)\b"
    r"|^(?:(?:staff|senior|chief|foreign|seoul|tokyo|beijing|washington)\s+)(?:reporters?|writers?|correspondents?)$",
    re.I,
)
_CAPTION_START = re.compile(
    r"^\s*(?:file\s+)?(?:photo|photograph|image|picture|pictured|caption|image caption|image source|media caption"
    r"|video|graphic|illustration|credit|photo credit|above|top|main image)s?\s*[:,|]",
    re.I,
)
_AGENCY = r"(?:REUTERS|Reuters|AFP|AP|EPA|EPA-EFE|Yonhap|YONHAP|KCNA|Xinhua|XINHUA|Getty Images|Bloomberg|Kyodo)"
_CREDIT_END = re.compile(
    r"(?:\((?:[\w.&'\u2019 -]*\s)?(?:Photo|Photos|Images|Pool|File)\b[^)]{0,60}\)"
    rf"|\b{_AGENCY}(?:\s+via\s+[\w ]+)?(?:/[\w.'\u2019 -]+){{1,3}}"
    r"|\b(?:Photo|Image|Picture)s?\s*(?:by|:|\|)\s*[\w.'\u2019 /-]{2,60})\s*$"
)
_CREDIT_ALONE = re.compile(
    rf"^\(?\s*(?:{_AGENCY}|AFP via Getty Images|AP Photo|Shutterstock|Pool)(?:\s+via\s+\w+)?\s*\)?$", re.I
)
_PROMOTION = re.compile(
    r"^\s*(?:sign up|subscribe (?:to|now|for|today)|follow us|follow @|follow .{1,40} on (?:twitter|x|facebook)"
    r"|join our|download (?:the|our)|get the app|click here|get our|for the latest|don'?t miss|support our journalism"
    r"|to continue reading|already a subscriber|have a (?:news )?tip|got a news tip|we want to hear|watch:|listen:)",
    re.I,
)
_COPYRIGHT = re.compile(r"^\s*(?:\u00a9|\(c\)\s|copyright\b)|all rights reserved", re.I)
_READ_MORE = re.compile(
    r"^\s*(?:read more|read also|also read|see also|more on this(?: story| topic)?|related(?: articles| stories| news"
    r"| coverage| content| links| topics| reading)?|recommended(?: stories| articles| for you)?|you (?:may|might) "
    r"also like|most read|most popular|more from [\w ]{1,30}|trending(?: now)?|latest news|more stories"
    r"|in other news|further reading)\b\s*([:|\u2013\u2014-]?)\s*",
    re.I,
)
_MAX_WORDS = {"caption": 80, "promotion": 30, "copyright": 30, "timestamp": 14}


class Furniture(NamedTuple):
    start: int
    end: int
    kind: str


def furniture(text: str) -> list[Furniture]:
    """The furniture lines of `text`, in order; `end` includes the line break."""
    lines = _lines(text)
    found: list[Furniture] = []
    in_list = False
    for start, end, stop in lines:
        line = text[start:stop].strip()
        if not line:
            continue  # blank lines neither end nor start a "Read more" list
        kind = line_kind(line)
        if kind == "read_more_heading":
            in_list, kind = True, "read_more"
        elif in_list and kind is None and _is_list_entry(line):
            kind = "read_more"
        else:
            in_list = False
        if kind is not None:
            found.append(Furniture(start, end, kind))
    return found


def line_kind(line: str) -> str | None:
    """The kind of furniture a whole (stripped) line is, or None for article text.

    `read_more_heading` is a "Read more" / "Related" line with nothing after it: the list follows."""
    words = len(line.split())
    if _SHORT_URL.match(line):
        return "short_url"
    if _URL.match(line):
        return "url"
    if _TAGS.match(line):
        return "navigation"
    heading = _READ_MORE.match(line)
    if heading and not line[heading.end() :].strip():
        return "read_more_heading"
    if heading and heading.group(1):  # "READ MORE: <headline>"; "Recommended steps" is a section heading
        return "read_more"
    if is_byline(line) or (_STAFF.match(line) and words <= 12):
        return "byline"
    if words <= _MAX_WORDS["caption"] and (
        _CAPTION_START.match(line) or _CREDIT_END.search(line) or _CREDIT_ALONE.match(line)
    ):
        return "caption"
    if words <= _MAX_WORDS["timestamp"] and _is_timestamp(line):
        return "timestamp"
    if words <= _MAX_WORDS["promotion"] and _PROMOTION.match(line):
        return "promotion"
    if words <= _MAX_WORDS["copyright"] and _COPYRIGHT.search(line):
        return "copyright"
    return _phrase_kind(line)


def _lines(text: str) -> list[tuple[int, int, int]]:
    """(start, end past the line break, end of the line's text) for every line of `text`."""
    out, position = [], 0
    while position < len(text):
        stop = text.find("\n", position)
        stop = len(text) if stop < 0 else stop
        out.append((position, min(stop + 1, len(text)), stop))
        position = stop + 1
    return out


def _is_timestamp(line: str) -> bool:
    tokens = [t for t in re.split(r"[\s|,\u00b7\u2022()\u2013\u2014-]+", line) if t]
    return bool(_DATE_SIGNAL.search(line)) and all(_TIME_TOKEN.match(t.rstrip(".:")) for t in tokens)


def _phrase_kind(line: str) -> str | None:
    """`navigation`, `share` or `advertisement` when the line is nothing but such words (and counts)."""
    kinds = set()
    for chunk in _SEPARATORS.split(line.lower().replace(" - ", " | ")):
        words = chunk.split()
        i = 0
        while i < len(words):
            if _COUNT.match(words[i]):
                i += 1
                continue
            for size in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + size])
                if phrase in _PHRASES:
                    kinds.add(_PHRASES[phrase])
                    i += size
                    break
            else:
                return None
    if not kinds:
        return None
    return "advertisement" if "advertisement" in kinds else "share" if kinds == {"share"} else "navigation"


def _is_list_entry(line: str) -> bool:
    """A line of a "Read more" list: an item, a headline-like link text, or a timestamp/credit."""
    return is_list_item(line) or (not is_closed(line) and len(line.split()) <= 25) or line.endswith("?")
