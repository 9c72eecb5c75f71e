"""Who speaks: names as addressed, titles, given names, sound-alikes, and the labels they get.

The names a text gives its speakers: X老师/X博士/X总 as addressed, the people a title lists
(`Fireside Chat-李明远-赵雅文`, `对话`, `×`) with their given names as address forms (明远,
明远老师) and ASR sound-alikes (明元, 亚文), bare given names the moderator addresses twice or
more (`思远能听到吗`, `谢谢思远`, `然后 小雨`) that are not dictionary words, and
self-introductions (`大家好，我是来自清华大学的王建国`). Surnames that sound alike are one
speaker (谷/顾/郭); the talk overlay's `speakers:` section names the panel and its aliases.

Hand-overs by name are found here too (`handover`): the roster counts them as the best
evidence of a panelist, the segmenter turns them into turns.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cleanup.speakers.clauses import CJK, Clause
from cleanup.speakers.cues import HANDOVER_AFTER, HANDOVER_BEFORE, NAMELESS_HANDOVER, THANKS_LEAD

# The labels of speakers the text does not name.
MODERATOR = "主持人"
SOLO = "主讲人"  # the one speaker of a talk
AUDIENCE = "观众"  # 观众1, 观众2…: the askers, numbered
GUEST = "嘉宾"  # 嘉宾A, 嘉宾B…: panelists nobody names

# ----------------------------------------------------------------------- what a name looks like

# Common single-character surnames: a name as addressed is 姓 + 老师/先生/老/….
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤谷常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝官封谈匡鞠惠荆冀郁胥班储栗燕楚鄢劳"
    "谌奚皮粟冼蔺楼满闻厉伊仝郜阚权帅屠朴练廉禹井祖漆巴丰支卿狄计索宣晋芮扈晁阙浦戈伏鹿薄邸雍辜羊裘亓修邰赫杭"
    "况宿逯茹诸慕危亢嵇湛戎茅於揭尉冶斯檀昝幸奉衡尧代"
)

# Characters that, before 老师, make a word rather than a name: 各位老师, 这个老师, 的老师…
NOT_SURNAME = set("位们的是个和跟与请问各这那几哪每两诸给让对找向被把说为从")

TITLE_RE = re.compile(
    r"老师|先生|教授|博士|院士|老(?![师是实板家人鼠虎大二三四五早])|总(?![结体是共的之算部统裁监经而和有会要])"
)

LABEL_TITLES = ("老师", "总", "教授", "博士", "院士", "先生")  # how a label is written (先生 only if always so)


def _names(clause: str) -> list[tuple[int, int, str, str]]:
    """(start, end, name, title) for each person addressed as X老师/X先生/XY老师/X老 in a clause.

    The 谢 of 谢谢 is no surname: 谢谢老师 names nobody, 谢谢谢老师 thanks 谢老师.
    """
    hits = []
    masked = re.sub("谢谢", "##", clause)
    for m in TITLE_RE.finditer(clause):
        t = m.start()
        s = None
        for k in (1, 2, 3):  # 李老师, 郭文老师, 王建国老师, 王春华老师 (not 郭文 + a surname before)
            if t - k < 0 or (k == 3 and s == t - 2):
                break
            ch = masked[t - k]
            if ch in NOT_SURNAME or not ("\u4e00" <= ch <= "\u9fff"):
                break
            if ch in SURNAMES:
                s = t - k  # 郭文老师: the outer surname when both are surnames
        if s is None or (m.group() == "老" and t - s != 1):
            continue
        hits.append((s, m.end(), clause[s:t], m.group()))
    return hits


# 大家好，我是来自X大学的王建国: the name ends the clause.
SELF_INTRO = re.compile(
    rf"^(?:(?:大家|各位)(?:好|下午好|上午好|晚上好)[，, ]?)?"
    rf"我(?:是|叫)(?:来自)?(?:[{CJK}A-Za-z]{{2,16}}的)?(?P<name>[{CJK}]{{2,3}})$"
)
# What ends a self-introduction without naming anyone (我是一名学生, 我是这个…).
NOT_A_NAME = re.compile(
    r"(学生|老师|同学|朋友|研究员|工程师|博士生|教授|主持人|一名|一个|负责人|创始人|今天|这个|觉得|认为|说|想)"
)


def self_intro(clause: str) -> str:
    """The name in a self-introduction (`大家好，我是来自清华大学的王建国`), or ""."""
    m = SELF_INTRO.match(clause)
    if not m:
        return ""
    name = m.group("name")
    if name[0] not in SURNAMES or NOT_A_NAME.search(name) or name[0] in NOT_SURNAME:
        return ""
    return name


@functools.lru_cache(maxsize=1)
def _readings() -> dict[int, str]:
    """pypinyin's character table alone (its package import loads phrase tables: 0.3 s)."""
    try:
        origin = importlib.util.find_spec("pypinyin").origin
        spec = importlib.util.spec_from_file_location("_cleanup_pinyin_dict", Path(origin).parent / "pinyin_dict.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.pinyin_dict
    except Exception:  # pragma: no cover - pypinyin is a dependency
        return {}


@functools.lru_cache(maxsize=4096)
def _sound_key(ch: str) -> str:
    """A pinyin key that ASR variants of one surname share (谷/顾/郭 → gu)."""
    reading = _readings().get(ord(ch))
    if not reading:
        return ch
    py = "".join(c for c in unicodedata.normalize("NFD", reading.split(",")[0]) if c.isascii())
    py = re.sub(r"^([zcs])h", r"\1", py)  # the usual ASR blur: zh/z, ch/c, sh/s and guo/gu;
    return re.sub(r"uo$", "u", py)  # not -ng/-n, which would merge 陈 and 程, 王 and 万


def _syllable(ch: str) -> str:
    """A given name's syllable, blurred a little more than a surname's: -ng/-n as well (亚文/雅文)."""
    return re.sub(r"ng$", "n", _sound_key(ch))


def _given_similarity(a: str, b: str) -> float:
    """How alike two given names sound: per syllable 1 (same), 0.5 (same initial), 0."""
    if len(a) != len(b) or not a:
        return 0.0
    score = 0.0
    for x, y in zip(a, b, strict=True):
        kx, ky = _syllable(x), _syllable(y)
        ix, iy = (re.match(r"[bpmfdtnlgkhjqxzcsryw]?", k).group() for k in (kx, ky))
        score += 1.0 if kx == ky else 0.5 if ix and ix == iy else 0.0
    return score / len(a)


# How a title separates the people it lists, and the words of a title that name nobody.
TITLE_SPLIT = re.compile(r"\s*(?:[-—–|｜×:：、/]|\s[xX]\s|对话|对谈)\s*")
TITLE_WORD = re.compile(
    r"论坛|大会|圆桌|报告|讨论|主题|环节|社区|幕|致辞|演讲|对话|分享|专场|峰会|高峰|安全|智能|模型|问答"
)


def title_people(title: str) -> list[str]:
    """Full names a title lists as its speakers (`Fireside Chat-李明远-赵雅文`, `对话张三`, `张三×李四`):
    a piece of 2–3 characters between separators that starts with a surname."""
    out = []
    for piece in TITLE_SPLIT.split(title.lstrip("# ")):
        piece = piece.strip()
        if re.fullmatch(rf"[{CJK}]{{2,3}}", piece) and piece[0] in SURNAMES and not TITLE_WORD.search(piece):
            out.append(piece)
    return out


# A bare given name the moderator addresses (谢谢雅文, 思源有什么补充吗, 思远能听到吗, 然后 小雨):
# two characters in a clause that thanks, asks or calls someone, seen at least twice.
GIVEN_TITLE = r"(?:老师|博士|教授|院士|总|先生|女士)?"
GIVEN_CUES = [
    re.compile(THANKS_LEAD + rf"(?P<n>[{CJK}]{{2}}){GIVEN_TITLE}(?:$|关于|的(?:分享|回答|观点|精彩))"),
    re.compile(
        rf"^(?:然后|那|好|对|嗯|那么|接下来|要不|看看|请|有请|最后)* ?(?P<n>[{CJK}]{{2}}){GIVEN_TITLE}"
        rf"(?:呢$|(?:好像|可能|应该)?[你您]|有(?:什么|没有)|(?:能|可以)?听(?:到|得到|见|得见)|要不)"
    ),
    re.compile(rf"(?:看看|听听|请|有请|问问|要不|然后) ?(?P<n>[{CJK}]{{2}}){GIVEN_TITLE}$"),
    re.compile(rf"^(?P<n>[{CJK}]{{2}})$"),  # 然后 小雨: the name alone
]

# Characters no given name is made of: pronouns, function words, numbers, fillers.
NOT_GIVEN = set(
    "我你您他她它们的了是在有这那就都也和与还要会能把被让给从对向说想看问请大家各位两三几个些么什怎哪吗呢吧啊老师主持人"
    "一二三四五六七八九十上下前后里中来去到过着得地所以因为但而且或者就是可不没再先又很最更嗯啊哦呃哈喂呀嘛"
)


def _given_names(texts: list[str], people: list[str], is_word) -> tuple[dict[str, str], set[str]]:
    """Given names as addressed → label, and the forms among them that are also words.

    The title's people are addressed by given name (李明远 → 明远, 明远老师): their ASR
    variants (明元老师, 亚文) are the addressed names that sound alike. Other bare names need
    two addresses of the same sound group, and must not be words (大家, 数据) or contain
    function characters; a form that is a word is kept only for a title name, before a title.
    """
    seen: Counter[str] = Counter()
    for t in texts:
        for cue in GIVEN_CUES:
            if (m := cue.search(t)) and not (set(m.group("n")) & NOT_GIVEN):
                seen[m.group("n")] += 1
    given: dict[str, str] = {}
    bound: set[str] = set()
    for full in people:
        if len(full) == 3:
            given[full[1:]] = full
    text = "\n".join(texts)
    for k in range(len(text) - 1):  # the title's names as the ASR wrote them anywhere (sound-alikes included)
        form = text[k : k + 2]
        if form in given or not re.fullmatch(rf"[{CJK}]{{2}}", form) or set(form) & NOT_GIVEN:
            continue
        titled = re.match(GIVEN_TITLE[3:-2], text[k + 2 : k + 4]) is not None
        for full in people:
            sim = _given_similarity(form, full[1:]) if len(full) == 3 else 0.0
            word = bool(is_word and is_word(form)) if sim >= 0.75 else False
            same_first = _syllable(form[0]) == _syllable(full[1])
            if sim == 1.0 and not word or titled and (sim >= 0.75 or same_first and not word):
                given[form] = full
                if word:
                    bound.add(form)
    for form, _ in seen.most_common():
        if form in given:
            continue
        word = bool(is_word and is_word(form))
        owner = max(people, key=lambda f: _given_similarity(form, f[1:]), default="")
        if owner and len(owner) == 3 and _given_similarity(form, owner[1:]) >= 0.75:
            given[form] = owner
            if word:
                bound.add(form)
            continue
        if word or form[0] in SURNAMES and form[1] in "老总":
            continue
        group = [f for f in seen if _given_similarity(form, f) >= 0.75 and not (is_word and is_word(f))]
        if sum(seen[f] for f in group) >= 2:
            label = next((given[f] for f in group if f in given), form)
            given[form] = label
    return given, bound


# ----------------------------------------------------------------------- hand-overs by name


def handover(
    clause: str, nxt: str = "", question: bool = False, names: list | None = None
) -> tuple[str, float, str, str, str] | None:
    """(rule, confidence, name, title, cue) when this clause gives the floor to a named speaker.

    `name` is "" for a hand-over whose name the ASR lost (`从老师开始`); `names` are the
    clause's names (the roster's `names`, with given names).
    """
    hits = _names(clause) if names is None else names
    for k, (s, e, name, title) in enumerate(hits):
        before, after = clause[:s], clause[e:]
        if re.search(r"(?:刚才|刚刚|之前|前面|刚|跟|和|同意|认同|像|比如|包括)$", before):
            continue  # 刚才谷老师说的, 跟李老师很认同: a mention, not a hand-over
        if re.match(r"(?:和|与|跟|、|还有)", after):
            continue  # 有请明远和雅文: the panel introduced, not the floor given
        if k + 1 < len(hits) and re.fullmatch(r"(?:或者|还是|或)", clause[e : hits[k + 1][0]]):
            # 戴老师或者沈老师有补充吗: the first one named usually answers first
            if found := handover(clause, nxt, question, hits[k + 1 :]):
                return found[0], found[1], name, title, found[4]
        if re.match(
            r"的(?:这个)?(?:，)?(?:看法|观点|想法|分享)?(?:也|很|非常|还|挺|都|特别|真)", after
        ) or after.startswith(("刚才", "提到", "说的", "讲的", "的工作", "的报告")):
            continue
        if m := HANDOVER_BEFORE.search(before):
            rule = "turn:handover-order" if m.group() == "从" else "turn:handover-name"
            return rule, 0.9, name, title, clause[m.start() : e + 4]
        for conf, pattern in HANDOVER_AFTER:
            if pattern.search(after):
                return "turn:handover-name", conf, name, title, clause[s:][:16]
        if re.match(r"^[，, ]?(?:这边|那边|好像|可能|应该)?(?:您|你)(?!们)", after) and len(before) <= 6:
            return "turn:handover-name", 0.85, name, title, clause[s:][:16]  # 周博士您同意吗？
        if not after.strip() and len(before) <= 4 and re.match(r"^(?:您|你)", nxt):
            return "turn:handover-name", 0.85, name, title, clause[s:] + "，" + nxt[:8]
        if re.fullmatch(r"(?:对|好|那|嗯|然后|接下来|那么|最后| )*", before) and not after.strip():
            return "turn:handover-bare-name", 0.55, name, title, clause
    if m := NAMELESS_HANDOVER.search(clause):
        return "turn:handover-order", 0.8, "", "", m.group()
    return None


# ----------------------------------------------------------------------- the roster


@dataclass
class Roster:
    """Names the text addresses, grouped (sound-alike surnames, overlay aliases), with labels."""

    by_name: dict[str, str] = field(default_factory=dict)  # 黄先生 / 郭文 / 谷 -> label
    order: list[str] = field(default_factory=list)  # the overlay's (or the title's) panel
    moderator: str = MODERATOR
    given: dict[str, str] = field(default_factory=dict)  # 明远 / 亚文 -> label: given names as addressed
    bound: set[str] = field(default_factory=set)  # given-name forms that are also words: only before a title
    given_re: re.Pattern | None = None

    def label(self, name: str, title: str = "老师") -> str:
        """The label of a name as addressed: its given name, the name, its surname; a name the
        roster does not know is labelled by its surname and title (周博士)."""
        if name in self.given:
            return self.given[name]
        for key in (name + title, name, name[:1]):
            if key in self.by_name:
                return self.by_name[key]
        return f"{name[:1]}{title if title in LABEL_TITLES else '老师'}"

    def compile(self) -> None:
        """The pattern `names` finds the given names by, longest form first."""
        if not self.given:
            return
        forms = "|".join(sorted(self.given, key=len, reverse=True))
        self.given_re = re.compile(rf"(?P<name>{forms})(?P<title>老师|博士|教授|院士|总|先生|女士)?")

    def names(self, clause: str) -> list[tuple[int, int, str, str]]:
        """`_names` plus the given names of the roster (明远老师, 雅文, 小雨), title or not."""
        hits = _names(clause)
        if self.given_re is None:
            return hits
        for m in self.given_re.finditer(clause):
            if any(a < m.end() and m.start() < b for a, b, *_ in hits):
                continue
            addressed = re.fullmatch(r"(?:好|那|对|嗯|然后)*", clause[: m.start()]) and re.match(
                r"[您你](?!们)", clause[m.end() :]
            )
            if m.group("name") in self.bound and not m.group("title") and not addressed:
                continue  # a dictionary word (开发) names someone only before 老师: a misheard given name
            hits.append((m.start(), m.end(), m.group("name"), m.group("title") or ""))
        return sorted(hits)


def build_roster(clauses: list[Clause], overlay: dict, title: str = "", is_word=None) -> Roster:
    """The roster of a text: its names grouped by sound, the title's people, the overlay's panel."""
    roster = Roster()
    people = title_people(title)
    roster.given, roster.bound = _given_names([c.text for c in clauses], people, is_word)
    roster.compile()
    evidence: Counter[str] = Counter()
    titles: dict[str, Counter] = {}
    given: dict[str, set[str]] = {}
    for i, c in enumerate(clauses):
        for _, _, name, title in _names(c.text):
            evidence[name[0]] += 1
            given.setdefault(name[0], set()).add(name)
            titles.setdefault(name[0], Counter())[title] += 1
        if intro := self_intro(c.text):
            evidence[intro[0]] += 1
            given.setdefault(intro[0], set()).add(intro)
        found = handover(c.text, clauses[i + 1].text if i + 1 < len(clauses) else "", c.question, _names(c.text))
        if found and found[2]:
            evidence[found[2][0]] += 2  # the moderator's hand-over is the best evidence
    groups: dict[str, list[str]] = {}
    for sur, _ in evidence.most_common():
        groups.setdefault(_sound_key(sur), []).append(sur)
    for members in groups.values():
        best = max(members, key=lambda s: evidence[s])  # most_common order breaks ties
        said = sum((titles.get(s, Counter()) for s in members), Counter())
        title = max(LABEL_TITLES, key=lambda t: (said[t] * (0.5 if t == "先生" else 1), t == "老师"))
        if said[title] == 0:
            title = "老师"
        for s in members:
            roster.by_name[s] = f"{best}{title}"
            for name in given.get(s, ()):
                roster.by_name[name] = f"{best}{title}"
    for full in people:  # 李老师 / 李博士 / 赵亚文教授 are the title's 李明远, 赵雅文
        for key in [k for k in roster.by_name if _sound_key(k[0]) == _sound_key(full[0])] + [full[0], full]:
            roster.by_name[key] = full
    speakers = speakers_section(overlay)
    if speakers.get("moderator"):
        roster.moderator = str(speakers["moderator"])
    if not speakers.get("panel") and len(people) >= 2:
        roster.order = list(dict.fromkeys(people))
    surname_owner: dict[str, set[str]] = {}
    text_groups = {s: roster.by_name[s] for s in evidence}
    for entry in speakers.get("panel") or []:
        entry = {"name": entry} if isinstance(entry, str) else entry
        label = str(entry.get("name", "")).strip() if isinstance(entry, dict) else ""
        if not label:
            continue
        roster.order.append(label)
        variants = [label] + [str(a).strip() for a in entry.get("aliases") or [] if str(a).strip()]
        for v in variants:
            roster.by_name[v] = label
            bare = re.sub(r"(老师|先生|教授|博士|院士|老|总)$", "", v)
            if bare:
                roster.by_name[bare] = label
                surname_owner.setdefault(bare[0], set()).add(label)
    overlay_labels = set(roster.order)
    for sur, owners in surname_owner.items():
        if len(owners) == 1:  # a surname two panelists share (by ASR error) stays ambiguous
            label = next(iter(owners))
            group = text_groups.get(sur)
            roster.by_name[sur] = label
            for name, value in list(roster.by_name.items()):  # its sound-alike variants in the text
                if value not in overlay_labels and group and value == group and name[:1] not in surname_owner:
                    roster.by_name[name] = label
                elif value not in overlay_labels and name[:1] == sur:
                    roster.by_name[name] = label
        else:
            roster.by_name.pop(sur, None)
    return roster


def speakers_section(overlay: dict) -> dict:
    """The talk overlay's `speakers:` section (moderator, panel, overrides), or {}."""
    speakers = overlay.get("speakers") if isinstance(overlay, dict) else None
    return speakers if isinstance(speakers, dict) else {}
