"""speakers: the output layout — title, speaker turns, paragraphs — as edits.

Runs last, once punctuate has chosen the sentence marks. The text is cut into clauses (at
marks and at line breaks); cues score where one speaker hands over to the next; the chosen
turns are labelled from a roster of the names the text addresses (merged across ASR variants
of one surname) and the talk overlay's `speakers:` section; long turns are split into
paragraphs at sentence ends. Everything the reader sees of that — the raw ASR breaks removed,
`\\n\\n**label**：` inserted, whitespace tidied — is an edit whose rule and note name the cue.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from cleanup.context import Context
from cleanup.document import Change, Document

MODERATOR = "主持人"
SOLO = "主讲人"
CJK = "\u4e00-\u9fff"
MARKS = "，。？！；、,?!;"
END_MARKS = "。？！?!"
SOFT_MARKS = "，、,；;"
WS = " \t\u3000\n"
IMAGE_LINE = re.compile(r"^[ \t]*!\[[^\]\n]*\]\([^)\n]*\)[ \t]*$", re.M)
PARA_MIN, PARA_TARGET, PARA_MAX = 150, 260, 400

# Common single-character surnames: a name as addressed is 姓 + 老师/先生/老/….
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤谷常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝官封谈匡鞠惠荆冀郁胥班储栗燕楚鄢劳"
    "谌奚皮粟冼蔺楼满闻厉伊仝郜阚权帅屠朴练廉禹井祖漆巴丰支卿狄计索宣晋芮扈晁阙浦戈伏鹿薄邸雍辜羊裘亓修邰赫杭"
    "况宿逯茹诸慕危亢嵇湛戎茅於揭尉冶斯檀昝幸奉衡尧"
)
# Characters that, before 老师, make a word rather than a name: 各位老师, 这个老师, 的老师…
NOT_SURNAME = set("位们的是个和跟与请问各这那几哪每两诸给让对找向被把说为")
TITLES = ("老师", "先生", "教授", "博士", "院士", "老")
TITLE_RE = re.compile(r"老师|先生|教授|博士|院士|老(?![师是实板家人鼠虎大二三四五早])")

OPINION = r"(?:看法|观点|想法|见解|补充|高见|意见|评论|体会|经验|分享|要说|要补充|感受|思考|见地|理解)"
# What surrounds a name in a clause that hands the floor to that speaker.
HANDOVER_AFTER = [
    (0.95, re.compile(rf"^(?:这边|那边)?(?:有(?:什么|啥|没有什么|没有)?|还有(?:什么)?|对此有什么|怎么)?{OPINION}")),
    (0.9, re.compile(r"^[，,]?\s*(?:您|你)(?:的看法|怎么看|怎么想|觉得|认为|来|先来|说|讲|谈|这边|有什么|对这个|是怎么)")),
    (0.85, re.compile(r"^(?:先来|来说|来讲|来谈|来回答|来吧|您请|请|开始|怎么看|的看法(?:呢|是什么|如何|怎么样)|的观点(?:呢|是什么)|呢)")),
]
HANDOVER_BEFORE = re.compile(r"(?:请|有请|邀请|让|交给|轮到|我们请|听听|问问|问一下|从)$")
ORDER_CUE = re.compile(r"从.*开始|按.*顺序|反过来|倒过来|倒序|换个顺序|轮流")
REVERSE_CUE = re.compile(r"反过来|倒过来|倒序|反着")
CLOSING = re.compile(
    r"(这(?:就)?是我的(?:看法|观点|想法|经验|理解|认识|一点看法|一些看法|思考)|这是我看法|不是结论|我就(?:这些|先说这些|说这么多|说到这|讲这么多|讲到这|补充这些)|"
    r"我先(?:说|讲)(?:这么多|到这)|就(?:说|讲)到这(?:里|儿)?|基本上就是.{0,12}(?:看法|观点)|以上是我的|谢谢大家|我的看法就是这样|大概就是这样)"
)
ACK = re.compile(r"^(?:好的|好|明白|对|嗯|OK|ok|行|谢谢|感谢|非常感谢|非常好|很好|是的)+$")
ACK_COMMENT = re.compile(r"(很有意思|很有启发|非常有意思|比较犀利|很精彩|非常精彩|很有道理|很好的观点|有意思的观点|很有启发性)")
OPENING = re.compile(
    r"^(?:谢谢(?:主持人)?|感谢主持人|好(?:的)?(?:这个)?我|我(?:也)?(?:说|谈|讲)(?:一下|一点|两句)(?:我的?)?(?:看法|认识|想法|理解|观点)?|"
    r"我(?:也)?(?:要)?谈谈|我补充|我来(?:回答|说|讲|谈)|我简单(?:说|讲|回答|插)|我(?:多)?说一句|我就简单|我的看法是|我觉得这个问题|这个问题我|行 ?没问题|对那我回答)"
)
AUDIENCE_INVITE = re.compile(r"(有没有(?:什么|人)?(?:问题|想问)|大家有(?:什么)?问题|现场(?:的)?(?:观众|听众|朋友)|递(?:个|一下)?话筒|听众们|观众们|提问环节)")
AUDIENCE_START = re.compile(r"(^各位老师好|^老师(?:们)?好|^(?:大家|各位)好|我想问(?:一下)?|我有(?:一|两|几)?个问题|想请教|请问(?:一下)?|我的问题是)")


@dataclass
class Clause:
    start: int  # current-text offsets of the words, without marks or spaces
    end: int
    text: str


@dataclass
class Turn:
    clause: int  # index of the first clause
    label: str
    rule: str
    confidence: float
    note: str
    paragraph_only: bool = False  # a paragraph break inside one speaker's turn


@dataclass
class Roster:
    """Names the text addresses, one key per group of sound-alike surnames, with its label."""

    labels: dict[str, str] = field(default_factory=dict)  # key surname -> printed label
    aliases: dict[str, str] = field(default_factory=dict)  # any variant surname -> key
    order: list[str] = field(default_factory=list)  # announced panel order (keys)
    moderator: str = MODERATOR

    def label(self, name: str) -> str:
        key = self.aliases.get(name[:1], name[:1])
        return self.labels.get(key, f"{key}老师")


def propose(doc: Document, ctx: Context) -> list[Change]:
    text = doc.text
    title_start, title_end = _title_span(text)
    clauses = _clauses(text, title_end)
    overlay = _overlay(ctx)
    turns: list[Turn] = []
    if clauses:
        roster = _roster([c.text for c in clauses], overlay)
        turns = _segment(clauses, roster)
        if not _is_panel(turns, overlay):
            title = text[title_start:title_end] if title_end else ""
            turns = [Turn(0, _solo_label(title, overlay), "turn:single-speaker", 0.9, "no hand-over cues: one speaker")]
        turns = _apply_overrides(turns, clauses, overlay)
        turns = _paragraphs(_merge(turns), clauses, text)
    return _Layout(doc, ctx.talk or "transcript").changes(title_start, title_end, clauses, turns)


# ----------------------------------------------------------------------- clauses


def _title_span(text: str) -> tuple[int, int]:
    """(start, end) of the title line (`# …` as the first non-blank line), or (0, 0)."""
    stripped = text.lstrip(WS)
    if stripped.startswith("# ") or stripped.startswith("#\t"):
        start = len(text) - len(stripped)
        nl = text.find("\n", start)
        return start, (len(text) if nl < 0 else nl)
    return 0, 0


_CLAUSE = re.compile(rf"[^{MARKS}{WS}](?:[^{MARKS}\n]*[^{MARKS}{WS}])?")
_CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \t\u3000]+(?=[{CJK}])")


def _clauses(text: str, body_start: int) -> list[Clause]:
    out: list[Clause] = []
    images = [(m.start(), m.end()) for m in IMAGE_LINE.finditer(text, body_start)]
    for m in _CLAUSE.finditer(text, body_start):
        if any(a <= m.start() < b for a, b in images):
            continue
        pos = m.start()
        for piece in _CJK_SPACE.split(m.group()):  # a space between Chinese words is a pause
            s = text.index(piece, pos)
            out.append(Clause(s, s + len(piece), piece))
            pos = s + len(piece)
    return out


# ----------------------------------------------------------------------- names and roster


def _names(clause: str, attested: set[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, name) for each person addressed as X老师/X先生/XY老师/X老 in a clause.

    The name is the surname (one character) or surname + given name; a surname already
    attested elsewhere in the talk is preferred (郭文老师 → 郭, not 文).
    """
    hits = []
    for m in TITLE_RE.finditer(clause):
        t = m.start()
        cands = []
        for k in (1, 2, 3):
            s = t - k
            if s < 0:
                break
            ch = clause[s]
            if ch in NOT_SURNAME or not ("\u4e00" <= ch <= "\u9fff"):
                break
            if ch in SURNAMES:
                cands.append(s)
        if not cands:
            continue
        s = cands[0]
        if attested:
            for c in cands:
                if _sound_key(clause[c]) in attested:
                    s = c
                    break
        if m.group() == "老" and t - s != 1:
            continue
        hits.append((s, m.end(), clause[s:t]))
    return hits


def _sound_key(ch: str) -> str:
    """A pinyin key that ASR variants of one surname share (谷/顾/郭 → gu)."""
    try:
        from pypinyin import Style, pinyin

        py = pinyin(ch, style=Style.NORMAL, heteronym=False)[0][0]
    except Exception:  # pragma: no cover - pypinyin is a dependency
        return ch
    py = re.sub(r"^([zcs])h", r"\1", py)
    py = re.sub(r"(a|e|i)ng$", r"\1n", py)
    py = re.sub(r"uo$", "u", py)
    return py


def _roster(texts: list[str], overlay: dict) -> Roster:
    roster = Roster()
    evidence: Counter[str] = Counter()
    for t in texts:
        for _, _, name in _names(t):
            evidence[name[0]] += 1
    for t in texts:
        found = _handover(t)
        if found:
            evidence[found[2][0]] += 2  # the moderator's hand-over is the best evidence
    groups: dict[str, list[str]] = {}
    for sur, _ in evidence.most_common():
        groups.setdefault(_sound_key(sur), []).append(sur)
    for members in groups.values():
        best = max(members, key=lambda s: evidence[s])  # most_common order breaks ties
        for s in members:
            roster.aliases[s] = best
        roster.labels[best] = f"{best}老师"
    speakers = overlay.get("speakers") if isinstance(overlay.get("speakers"), dict) else {}
    if speakers.get("moderator"):
        roster.moderator = str(speakers["moderator"])
    for entry in speakers.get("panel") or []:
        entry = {"name": entry} if isinstance(entry, str) else entry
        name = str(entry.get("name", "")).strip() if isinstance(entry, dict) else ""
        if not name:
            continue
        key = name[0]
        variants = {name[0]} | {str(a).strip()[:1] for a in entry.get("aliases") or [] if str(a).strip()}
        for v in list(variants):
            old = roster.aliases.get(v)
            variants |= {s for s, k in roster.aliases.items() if old and k == old}
        for v in variants:
            roster.aliases[v] = key
        roster.labels[key] = name
        roster.order.append(key)
    return roster


# ----------------------------------------------------------------------- cues


def _handover(clause: str, nxt: str = "") -> tuple[str, float, str, str] | None:
    """(rule, confidence, name, cue) when this clause gives the floor to a named speaker."""
    for s, e, name in _names(clause):
        before, after = clause[:s], clause[e:]
        if re.search(r"(?:刚才|刚刚|之前|前面|刚|跟|和|同意|认同|像)$", before):
            continue  # 刚才谷老师说的, 跟李老师很认同: a mention, not a hand-over
        if re.match(r"的(?:这个)?(?:，)?(?:看法|观点|想法|分享)?(?:也|很|非常|还|挺|都|特别|真)", after) or after.startswith(("刚才", "提到", "说的", "讲的")):
            continue
        if m := HANDOVER_BEFORE.search(before):
            rule = "turn:handover-order" if m.group() == "从" else "turn:handover-name"
            return rule, 0.9, name, clause[m.start() : e + 4]
        for conf, pattern in HANDOVER_AFTER:
            if pattern.match(after):
                return "turn:handover-name", conf, name, clause[s:][:16]
        if not after.strip() and not re.search(rf"[{CJK}]{{4,}}$", before) and re.match(r"^(?:您|你)", nxt):
            return "turn:handover-name", 0.85, name, clause[s:] + "，" + nxt[:8]
        if not before.strip(" 对好那") and not after.strip():
            return "turn:handover-bare-name", 0.6, name, clause
    return None


def _segment(clauses: list[Clause], roster: Roster) -> list[Turn]:
    """Turns from scored cues, in order; consecutive turns of one speaker are merged later."""
    texts = [c.text for c in clauses]
    n = len(texts)
    turns: dict[int, Turn] = {0: Turn(0, roster.moderator, "turn:first", 0.6, texts[0][:16])}

    def add(i: int, label: str, rule: str, conf: float, note: str) -> None:
        if 0 <= i < n and (i not in turns or turns[i].confidence < conf):
            turns[i] = Turn(i, label, rule, round(conf, 2), note)

    for h in range(n):
        found = _handover(texts[h], texts[h + 1] if h + 1 < n else "")
        if not found:
            continue
        rule, conf, name, cue = found
        if rule == "turn:handover-bare-name" and not (
            (h > 0 and CLOSING.search(texts[h - 1])) or (h + 1 < n and _opening(texts[h + 1]))
        ):
            continue
        k = h + 1
        if k < n and re.match(r"^(?:您|你)", texts[k]) and "？" not in texts[h]:
            k += 1  # 姜老师，您怎么看： the question runs on
        j, score, why = _moderator_start(texts, h, turns)
        add(j, roster.moderator, f"turn:moderator-{why}" if why else "turn:moderator", min(0.9, 0.55 + 0.1 * score), texts[j][:16])
        add(k, roster.label(name), rule, conf, cue)
    return [turns[i] for i in sorted(turns)]


def _opening(text: str) -> bool:
    return bool(OPENING.match(text))


def _moderator_start(texts: list[str], h: int, turns: dict[int, Turn]) -> tuple[int, float, str]:
    """Where the moderator's turn that ends in the hand-over at clause h starts."""
    floor = max([i for i in turns if i <= h] or [0])
    if floor == h:
        return h, 0.0, ""
    best, best_score, best_why = h, 0.0, ""
    for j in range(h, max(floor, h - 40), -1):
        score, why = 0.0, ""
        prev = texts[j - 1] if j > 0 else ""
        prev2 = texts[j - 2] if j > 1 else ""
        if CLOSING.search(prev) or CLOSING.search(prev2):
            score += 2.0
            why = "after-closing"
        if ACK.match(texts[j]):
            score += 1.0
            why = why or "ack"
        if ACK_COMMENT.search(texts[j]) or re.search(r"(?:谢谢|感谢)[^，]{0,4}(?:老师|先生)", texts[j]):
            score += 1.5
            why = why or "ack"
        if re.fullmatch(r"(?:对)?(?:好)?谢谢|对", prev) and ACK.match(texts[j]):
            score += 0.5
        score -= 0.03 * (h - j)  # moderators are brief: prefer the nearer start
        if score > best_score:
            best, best_score, best_why = j, score, why
    return best, best_score, best_why


def _is_panel(turns: list[Turn], overlay: dict) -> bool:
    speakers = overlay.get("speakers") if isinstance(overlay.get("speakers"), dict) else {}
    if speakers.get("panel"):
        return True
    named = {t.label for t in turns if t.rule.startswith("turn:handover")}
    return len(named) >= 2


def _solo_label(title: str, overlay: dict) -> str:
    speakers = overlay.get("speakers") if isinstance(overlay.get("speakers"), dict) else {}
    for key in ("speaker", "moderator"):
        if speakers.get(key):
            return str(speakers[key])
    return SOLO


def _overlay(ctx: Context) -> dict:
    try:
        overlay = ctx.talk_overlay
    except Exception:  # a broken overlay is the glossary stage's to report
        return {}
    return overlay if isinstance(overlay, dict) else {}


def _apply_overrides(turns: list[Turn], clauses: list[Clause], overlay: dict) -> list[Turn]:
    """`overrides: [{at: "snippet", speaker: X}]`: X speaks from the clause the snippet starts in."""
    speakers = overlay.get("speakers") if isinstance(overlay.get("speakers"), dict) else {}
    overrides = speakers.get("overrides") or []
    if not overrides:
        return turns
    letters = []  # the words of the body without marks or spaces, with their clause
    owner = []
    for i, c in enumerate(clauses):
        for ch in c.text:
            if not ch.isspace():
                letters.append(ch)
                owner.append(i)
    flat = "".join(letters)
    by_clause = {t.clause: t for t in turns}
    for o in overrides:
        if not isinstance(o, dict):
            continue
        at = "".join(ch for ch in str(o.get("at", "")) if not ch.isspace() and ch not in MARKS)
        who = str(o.get("speaker", "")).strip()
        pos = flat.find(at) if at else -1
        if pos < 0 or not who:
            continue
        i = owner[pos]
        by_clause[i] = Turn(i, who, "turn:override", 1.0, f"editor override at {o.get('at')!r}")
    return [by_clause[i] for i in sorted(by_clause)]


def _merge(turns: list[Turn]) -> list[Turn]:
    merged: list[Turn] = []
    for t in turns:
        if merged and merged[-1].label == t.label:
            continue
        merged.append(t)
    return merged


def _paragraphs(turns: list[Turn], clauses: list[Clause], text: str) -> list[Turn]:
    """Split each turn longer than PARA_MAX into paragraphs of ~PARA_TARGET at sentence ends."""
    out: list[Turn] = []
    bounds = [t.clause for t in turns] + [len(clauses)]
    for t, end in zip(turns, bounds[1:]):
        out.append(t)
        start = t.clause
        length = lambda a, b: clauses[b - 1].end - clauses[a].start  # noqa: E731
        if length(start, end) <= PARA_MAX:
            continue
        para_start = start
        for i in range(start + 1, end):
            if not _sentence_end(text, clauses[i - 1], clauses[i]):
                continue
            cur = length(para_start, i)
            rest = length(i, end)
            if rest < PARA_MIN * 0.6:
                break
            nxt_end = next((k for k in range(i + 1, end) if _sentence_end(text, clauses[k - 1], clauses[k])), end)
            grows_too_long = cur + length(i, nxt_end) > PARA_MAX
            shift = bool(re.match(r"(?:然后|所以|另外|第二|第三|其次|最后|但是|那么|当然|总之|包括|比如说)", clauses[i].text))
            if cur >= PARA_TARGET or (cur >= PARA_MIN and (shift or grows_too_long)):
                out.append(Turn(i, t.label, "paragraph:split", 0.9, f"{cur} characters", paragraph_only=True))
                para_start = i
    return out


def _sentence_end(text: str, prev: Clause, cur: Clause) -> bool:
    return any(ch in END_MARKS for ch in text[prev.end : cur.start])


# ----------------------------------------------------------------------- layout


class _Layout:
    """Edits that turn the current text into title + labelled paragraphs, touching only source."""

    def __init__(self, doc: Document, stem: str) -> None:
        self.doc = doc
        self.text = doc.text
        self.stem = stem
        spans = sorted(doc.edited_spans())
        self.edited = spans
        self.edited_starts = [s for s, _ in spans]
        self.out: list[Change] = []

    def original_pieces(self, start: int, end: int) -> list[tuple[int, int]]:
        """Maximal sub-spans of [start, end) that are untouched source text."""
        cuts = {start, end}
        blocked = []
        i = max(0, bisect.bisect_left(self.edited_starts, start) - 1)
        while i < len(self.edited) and self.edited[i][0] <= end:
            a, b = self.edited[i]
            if b > start or a >= start:
                cuts.update(x for x in (a, b) if start <= x <= end)
                if b > a:
                    blocked.append((a, b))
            i += 1
        points = sorted(cuts)
        pieces = []
        for a, b in zip(points, points[1:]):
            if a < b and not any(x <= a and b <= y for x, y in blocked) and self.doc.is_original(a, b):
                pieces.append((a, b))
        return pieces

    def replace(self, start: int, end: int, after: str, rule: str, conf: float = 1.0, note: str = "") -> None:
        pieces = self.original_pieces(start, end) if end > start else []
        if not pieces:
            if after:
                for p in (start, end):
                    if self.doc.is_original(p, p):
                        self.out.append(Change(p, p, after, rule, conf, note=note))
                        return
            return
        first = True
        for a, b in pieces:
            new = after if first else ""
            first = False
            if self.text[a:b] != new:
                self.out.append(Change(a, b, new, rule, conf, note=note))
            elif new and new == after:
                continue

    def changes(self, title_start: int, title_end: int, clauses: list[Clause], turns: list[Turn]) -> list[Change]:
        text = self.text
        # the title
        if title_end:
            self.replace(0, title_start, "", "layout:whitespace")
            t = text[title_start:title_end]
            stripped = t.rstrip(" \t\u3000")
            self.replace(title_start + len(stripped), title_end, "", "layout:whitespace", note="trailing spaces")
        else:
            self.replace(0, 0, f"# {self.stem}\n\n", "layout:title", 0.8, "no title line: the file name")
        if not clauses:
            self.tail(title_end, title_end)
            return self.out
        by_clause = {t.clause: t for t in turns}
        # before the first paragraph
        first = by_clause.get(0) or Turn(0, SOLO, "turn:single-speaker", 0.9, "")
        head = "\n\n" if title_end else ""
        self.separator(title_end, clauses[0].start, head + f"**{first.label}**：", first)
        for i in range(1, len(clauses)):
            prev, cur = clauses[i - 1], clauses[i]
            turn = by_clause.get(i)
            if turn is None:
                self.join(prev, cur)
            else:
                self.boundary(prev, cur, turn)
        self.tail(clauses[-1].end, len(text))
        return self.out

    def separator(self, start: int, end: int, sep: str, turn: Turn) -> None:
        """Replace whatever lies in [start, end) (whitespace, image lines) by `sep`."""
        if self.original_pieces(start, end) if end > start else []:
            self.replace(start, end, sep, turn.rule, turn.confidence, turn.note)
        else:
            self.replace(end, end, sep, turn.rule, turn.confidence, turn.note)

    def join(self, prev: Clause, cur: Clause) -> None:
        """Inside a paragraph: line breaks go, stray spaces beside Chinese marks go."""
        gap = self.text[prev.end : cur.start]
        if not gap or not any(ch in WS for ch in gap):
            return
        for m in re.finditer(r"[ \t\u3000\n]+|!\[[^\]\n]*\]\([^)\n]*\)", gap):
            a, b = prev.end + m.start(), prev.end + m.end()
            run = m.group()
            if run.startswith("!"):
                self.replace(a, b, "", "layout:image-line", note="Markdown image lines are not part of the talk")
                continue
            left = self.text[a - 1] if a > 0 else ""
            right = self.text[b] if b < len(self.text) else ""
            if "\n" not in run and not (left in MARKS or right in MARKS):
                continue  # a space inside Latin text
            keep = " " if (left.isascii() and left.isalnum() and right.isascii() and right.isalnum()) else ""
            if run != keep:
                self.replace(a, b, keep, "layout:join-lines" if "\n" in run else "layout:whitespace")

    def boundary(self, prev: Clause, cur: Clause, turn: Turn) -> None:
        """A new paragraph at `cur`: end the last one with a sentence mark, then `\\n\\n**X**：`."""
        gap_start, gap_end = prev.end, cur.start
        gap = self.text[gap_start:gap_end]
        marks = [gap_start + k for k, ch in enumerate(gap) if ch in MARKS]
        if marks:
            last = marks[-1]
            ch = self.text[last]
            if ch in SOFT_MARKS and self.doc.is_original(last, last + 1):
                mark = "？" if _is_question(prev.text) else "。"
                self.out.append(Change(last, last + 1, mark, "layout:turn-end-mark", 0.7, note=f"{ch} before a new paragraph"))
            after_marks = last + 1
        else:
            after_marks = gap_start
            if prev.text and (prev.text[-1].isalnum()) and self.doc.is_original(gap_start, gap_start):
                mark = "？" if _is_question(prev.text) else "。"
                self.out.append(Change(gap_start, gap_start, mark, "layout:turn-end-mark", 0.6, note="no mark before a new paragraph"))
        # whitespace before the marks: drop it
        for m in re.finditer(r"[ \t\u3000\n]+|!\[[^\]\n]*\]\([^)\n]*\)", self.text[gap_start:after_marks]):
            self.replace(gap_start + m.start(), gap_start + m.end(), "", "layout:whitespace")
        self.separator(after_marks, gap_end, f"\n\n**{turn.label}**：", turn)

    def tail(self, start: int, end: int) -> None:
        """After the last words: keep the marks, end in exactly one newline."""
        k = start
        while k < end and self.text[k] not in WS and self.text[k] != "!":
            k += 1
        if self.text[k:end] != "\n":
            self.replace(k, end, "\n", "layout:final-newline")


def text_has_non_ws(s: str) -> bool:
    return any(ch not in WS for ch in s)


def _is_question(clause: str) -> bool:
    return bool(re.search(r"(吗|呢|是吧|对吧|对不对|是不是|有没有|怎么看|什么样|什么|为什么|怎么样|哪)$", clause))
