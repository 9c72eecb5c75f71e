"""speakers: the output layout — title, speaker turns, paragraphs — as edits.

Runs last, once punctuate has chosen the sentence marks (which are guesses: no cue relies on
them alone). The text is cut into clauses at marks and line breaks, and cues propose turn
starts, each with a score and a hint about who speaks next:

- names: X老师/X博士/X总 as addressed, the people a title lists (`Fireside Chat-李明远-赵雅文`,
  `对话`, `×`) with their given names as address forms (明远, 明远老师) and ASR sound-alikes
  (明元, 亚文), and bare given names the moderator addresses twice or more (`思远能听到吗`,
  `谢谢思远`, `然后 小雨`) that are not dictionary words;
- thanks by name (`好，谢谢思远`): the moderator speaks, and the turn before was that panelist's;
  a first-person opening right after thanks (`我稍微补一句`) is the next panelist;
- hand-overs by name (`邓老师有什么看法`, `请X老师`, `X老师您怎么看`, `有请…的X老师`), by
  the announced order (`从X老师开始`, `按照刚才介绍的顺序`, `我们再反过来`), to the whole panel
  (`其他几位老师有没有补充`) and follow-ups (`我想追问一下`);
- self-introductions (`大家好，我是来自清华大学的王建国`), which name the speaker;
- a question put to the guests (`不知道你怎么看`, `请两位发表看法`) and the answer's first
  words; a new question to the panel with no thanks before it (`你们认为…`, `我想问一下两位`,
  `最后一个问题`), answered after it ends; the moderator agreeing with a panelist's `是吧？`
  (`对对是的，我们…`); asking for the floor (`我可以说两句吗` — `可以`); remote panelists (`X能听到吗` —
  `能听到`, `大家能听到我吗` — `可以`);
- a speaker's closing (`这是我的看法`, `我就说这么多`, `谢谢`) followed by the moderator's
  acknowledgement (`好的明白`, `X老师的观点很有意思`) or question, or by the next panelist's
  floor-taking words (`我说一下我的看法`, `我补充一点`);
- the audience: the invitation (`有没有什么问题`, mic hand-offs), the asker's first words
  (`各位老师好`, `我想问一下`), the panelist the asker names, the answer (`这个问题很好`), and
  the exchange after it (`就是…是吧？` / `对是的`, `您能再重复一下`).

The moderator's turn before each hand-over starts at the best-scored closing/acknowledgement
once all other turns are known. The strongest candidates become turns; a left-to-right pass
labels them from the roster (names as addressed, sound-alike surnames merged, the talk
overlay's `speakers:` section) and the panel order, learned from the first round; when the
panel is known beforehand (overlay, title), an unnamed guest is the one heard least lately. Panelists
the cues cannot name are matched to named ones by speaking style when the match is clear, and
flagged; those left, when the text names the panel (two names said twice or more), go to the
panelist heard least lately (never the one the answer names) — outside the Q&A, where anyone
may answer an asker, and except a placeholder the panel order brings back. A text without
two independent signs of several speakers is a talk: one label. The overlay's `overrides:`
apply last. Long turns are split into paragraphs at sentence ends.

Everything the reader sees — the raw ASR breaks removed, `\n\n**label**：` inserted, a
turn's trailing comma made a full stop, whitespace tidied — is an edit whose rule, confidence
and note name the cue (`turn:handover-name`, note `邓老师有什么看法`).
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import itertools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cleanup.context import Context
from cleanup.document import Change, Document

MODERATOR = "主持人"
SOLO = "主讲人"
AUDIENCE = "观众"
GUEST = "嘉宾"
CJK = "\u4e00-\u9fff"
MARKS = "，。？！；、,?!;"
END_MARKS = "。？！?!"
SOFT_MARKS = "，、,；;"
WS = " \t\u3000\n"
IMAGE_LINE = re.compile(r"^[ \t]*!\[[^\]\n]*\]\([^)\n]*\)[ \t]*$", re.M)
PARA_MIN, PARA_TARGET, PARA_MAX = 150, 260, 400
ACCEPT = 1.5  # a candidate turn start needs at least this score
TENTATIVE = 1.2  # an opening this strong starts the next panelist of an announced round
STYLE_MARGIN = 3.0  # nats per 100 characters by which the best style match must win (~95% right when held out)

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

OPINION = r"(?:看法|观点|想法|见解|补充|高见|意见|评论|体会|经验|分享|要说|要补充|感受|思考|见地|理解|认识)"
# What surrounds a name in a clause that hands the floor to that speaker.
HANDOVER_AFTER = [
    (
        0.95,
        re.compile(
            rf"^(?:这边|那边|线上|现场|在线)?(?:有(?:什么|啥|没有什么|没有)?|还有(?:什么)?|对此有什么|怎么)?{OPINION}"
        ),
    ),
    (
        0.9,
        re.compile(
            r"^[，,]?\s*(?:要不)?(?:您|你)(?:的看法|怎么看|怎么想|觉得|认为|来|先来|说|讲|谈|这边|有什么|对这个|是怎么|有没有|要不要|同意)"
        ),
    ),
    (
        0.85,
        re.compile(
            r"^(?:先来|先$|来说|来讲|来谈|来回答|来吧|您请|请|开始|怎么看|(?:能|可以)?听(?:到|得到|见|得见)(?:吗|嘛|么)|的看法(?:呢|是什么|如何|怎么样)|的观点(?:呢|是什么)|(?:这边|那边)?呢$|有没有试过|有没有(?:做|研究)过|或者$|有(?:什么|没有)$)"
        ),
    ),
]
HANDOVER_BEFORE = re.compile(
    r"(?:请|有请|邀请|让|交给|轮到|我们请|听听|看看|问问|问一下|从|要不)$|(?:有请|邀请|欢迎)(?:来自)?[^，]{2,16}的$"
)
NAMELESS_HANDOVER = re.compile(r"从(?:[^，。老]{0,3})?老师开始|请(?:这位|那位)?老师(?:先)?(?:来|谈|说)")
ORDER_CUE = re.compile(r"按(?:照)?.{0,6}顺序|反过来|倒过来|倒序|反着来|换个顺序|轮流|依次")
REVERSE_CUE = re.compile(r"反过来|倒过来|倒序|反着")
CLOSING = re.compile(
    r"(这(?:就)?是我(?:的)?(?:一个|一点|一些|个人的?)?(?:粗浅的|简单的|不成熟的|初步的)?(?:看法|观点|想法|经验|理解|认识|思考|体会|观察)|我的.{0,6}(?:看法|观点)就是这些|不是结论|我就(?:这些|先说这些|说这么多|说到这|讲这么多|讲到这|补充这些)|"
    r"我先(?:说|讲)(?:这么多|到这)|(?:我)?说完了|^说完$|讲完了|我就说(?:这一点|这些|这么多|到这)|"
    r"就(?:说|讲)到这(?:里|儿)?|基本上就是.{0,12}(?:看法|观点)|以上是我的|以上就是|谢谢大家|我的(?:报告|分享|汇报|介绍)就到这|我的看法就是这样|大概(?:就)?是这样|我就先到这|抛砖引玉)"
)
THANKS_END = re.compile(r"^(?:对|好|嗯|是|行)*\s*谢谢(?:大家)?$")
ACK = re.compile(r"^(?:好的|好|明白|对|嗯|OK|ok|行|谢谢|感谢|非常感谢|非常好|很好|是的|对对)+$")
STRONG_ACK = re.compile(
    r"^(?:好的明白|明白明白|明白|好的好的|好的谢谢|好谢谢|非常感谢|感谢|谢谢[^，]{0,6}(?:老师|分享|回答|各位|嘉宾|总|博士|专家))(?!的问题|的提问)"
    r"|^(?:好|好的)?[，, ]?谢谢(?:各位|[两三四五六几]位)|^(?:好|好的)?[，, ]?(?:非常)?感谢(?:[一二两三四五六几]位|各位)"
)
ACK_COMMENT = re.compile(
    r"(很有意思|很有启发|非常有意思|比较犀利|很精彩|非常精彩|很有道理|很好的观点|有意思的观点|很有启发性|都很有启发|也谢谢这个问题|谢谢(?:您的|这个)问题|好问题)"
)
# Words that take the floor, enough on their own to start a turn.
TAKING_FLOOR = re.compile(
    r"^(?:(?:那|好|对|嗯|行)的?[，, ]?)?(?:"
    r"(?:好|对|嗯)?的?[，, ]?(?:谢谢|感谢)(?:主持人|[^，]{1,3}(?:老师|总|博士|教授))?的(?:问题|提问)|"
    r"(?:好|对)?[，, ]?谢谢主持人|感谢主持人|"
    r"我(?:也)?(?:来)?(?:说|谈|讲)(?:一下|一点|两句|几句)(?:我的?)?(?:看法|认识|想法|理解|观点)|"
    r"我(?:也)?(?:要)?谈谈|我(?:来)?补充|我来(?:回答|说|讲|谈)|我简单(?:说|讲|回答|插|补充)|我(?:就)?(?:多|再)说一句|我就简单(?:插|补充|说)|"
    r"我(?:也|就|可以|能)?(?:稍微|简单|再)?(?:补|说|讲|插|强调)(?:充)?(?:一句|两句|几句|一点|一下|个)|"
    r"行 ?没问题|(?:对)?那我回答|我(?:现在|先|就)?回答一下)"
)
# The next panelist's first words.
OPENING = re.compile(
    r"^(?:(?:那|好|对|嗯|行)的?[，, ]?)?(?:我从.{1,8}(?:角度|方面|视角)|"
    r"(?:好|对|嗯)?的?[，, ]?(?:谢谢|感谢)(?:主持人|[^，]{1,3}(?:老师|总|博士|教授))?的(?:问题|提问)|"
    r"(?:好|对)?[，, ]?谢谢主持人|感谢主持人|好(?:的)?(?:这个)?我(?:也)?(?:是|来|说|谈|讲|觉得)|"
    r"我(?:也)?(?:来)?(?:说|谈|讲)(?:一下|一点|两句|几句)(?:我的?)?(?:看法|认识|想法|理解|观点)?|"
    r"我(?:也)?(?:要)?谈谈|我(?:来)?补充|我来(?:回答|说|讲|谈)|我简单(?:说|讲|回答|插|补充)|我(?:就)?(?:多|再)说一句|我就简单|我的看法是|我觉得这个问题|"
    r"这个问题我|行 ?没问题|对那我回答|那我回答|我回答一下|我(?:也)?不是(?:这个|这方面|相关)|其实我也不是|"
    r"(?:我觉得)?(?:刚(?:才|刚)?|前面).{0,8}(?:老师|几位|各位).{0,6}(?:分享|说|讲|提到)|前面几位|"
    r"(?:大家|各位)(?:好|下午好|上午好|晚上好)$|我是来自)"
)
AUDIENCE_INVITE = re.compile(
    r"((?:那位|这位|那边|这边|后面|前面)(?:那位|这位)*(?:的)?(?:同学|朋友|观众)|有没有(?:什么|人)?(?:问题|想问)|大家有(?:什么)?问题|现场(?:的)?(?:观众|听众|朋友)|递(?:个|一下)?话筒|听众们|观众们|提问环节|(?:还有没有|有没有)什么.{0,6}(?:问题|想讨论))"
)
MIC = re.compile(
    r"(话筒|麦克风|递|那位|这位|^这边$|^那边$|后面那|前面那|^哦|有一个|好好好|请讲|您请|我来递|举(?:手|着|得)|^说吧$)"
)
AUDIENCE_START = re.compile(
    r"(^各位老师好|^(?:各位)?老师(?:们)?(?:好|您好)|^(?:嘉宾|专家)们?好|我想(?:请)?问(?:一下)?|我(?:实际上|这边)?有(?:一|两|几)?个问题|想请教|^请问|我的问题是|^你好我)"
)
AUDIENCE_GREETING = re.compile(r"^(?:各位)?老师(?:们)?(?:好|您好)|^各位老师好|^(?:嘉宾|专家)们?好")
AUDIENCE_END = re.compile(r"(简单回答一下|回答一下就行|这是第一个问题|就这个问题|谢谢$|这是我的问题|我的问题就是这个)")
MODERATOR_META = re.compile(
    r"(时间(?:也)?差不多了|时间还有|时间有限|(?:由于|因为)?时间关系|(?:我们|圆桌|论坛|环节|讨论)(?:今天)?就到这里|再次感谢|圆桌(?:论坛)?就到这|还有(?:\d+|几|[一二三四五十]+)分钟|最后一?个?问题|时间(?:咱们|我们)?已经(?:过了|到了|超了)|(?:我们|那)的?第[一二三四五]个问题|下一个问题|我们(?:还)?准备了|今天的圆桌|线下(?:可以)?(?:交流|讨论))"
)
# 您觉得…会不会…: a question put to someone, whatever the ASR marked at its end
ASKED = re.compile(
    r"^(?:那)?(?:您|你)(?:觉得|认为|看)[^，]*(?:会不会|是不是|能不能|有没有|要不要|可不可以|什么|怎么|多少|哪)"
)
QUESTION_END = re.compile(r"(吗|呢|是吧|对吧|对不对|是不是|有没有|怎么看|什么样|为什么|怎么样|哪)$")
ANSWER_START = re.compile(
    r"^(?:其实我也不是|我(?:也)?不是(?:这个|这方面|相关)|我(?:总)?觉得这(?:是|个问题)|我理解(?:您|你)|这个问题我|我(?:来|先)?回答|对那我回答|那我回答|我简单回答|我试着回答|"
    r"谢谢(?:您的|你的|这位)?(?:老师的|同学的)?问题|好问题|(?:好)?这个问题(?:非常|很|特别)好|这是(?:一)?个.{0,3}好的?问题|"
    r"(?:对|是的)[，, ]?(?:就是|我|其实))"
)
PANEL_INVITE = re.compile(
    r"(?:其他|别的|另外|线上|现场|在座)的?(?:几位|各位|两位|三位)?(?:老师|嘉宾)们?(?:有没有|有什么|还有什么|要不要|怎么看)|"
    r"(?:各位|几位)(?:老师|嘉宾)们?(?:怎么看|有什么(?:[^，]{0,4}的)?(?:看法|观点|想法)|有没有(?:什么)?补充)|大家怎么看"
)
# The moderator turns to the panel with a new question, thanks or no thanks (你们认为…, 我想问两位…,
# 最后一个问题); the answer follows the question.
PANEL_QUESTION = re.compile(
    r"(?:你们|两位|各位|几位)[^，]{0,6}(?:觉得|认为|怎么看|看法|观点)|"
    r"(?:想|再)(?:问|请问|确认)(?:一下)?(?:跟|向)?(?:两位|各位|几位|你们|大家)|(?:最后|下一个|第[二三四五六七八九])一?个?问题"
)
CONFIRMATION = re.compile(r"^(?:对|是的|没错|对的)+$")
MODERATOR_LEAD = re.compile(r"(?:那|那么|好|好的|接下来|下面)(?!个)")
FOLLOW_UP = re.compile(r"追(?:加)?问|再问(?:一下|一个)|接着(?:刚才的?|这个)?问")
# The moderator thanks someone by name: a new moderator turn, and the turn before was theirs.
THANKS_LEAD = r"^(?:(?:好|好的|对|是的|嗯|行|OK|ok)[ ，,]*)*(?:谢谢|感谢|多谢|非常感谢)(?:谢谢)? ?"
THANKS_NAME = re.compile(THANKS_LEAD)
# A question put to the guests (你怎么看, 请两位发表你们的看法), and how an answer starts.
PUT_TO_PANEL = re.compile(
    r"(?:你们|两位|各位|几位|您|你)(?:的)?(?:看法|观点|怎么看|觉得|认为|发表|谈谈|说说|分享)|(?:请|想请|问问)(?:两位|各位|几位|您|你)"
)
ANSWER_LEAD = re.compile(r"^(?:好的|好|对|嗯|是的|我觉得|其实|我认为|这个问题|简单(?:的)?(?:说|讲)|我同意)")
INTRO_GOES_ON = re.compile(
    r"^(?:给(?:我们|大家)|为(?:我们|大家)|带来|分享|做(?:一个)?报告|(?:大家|让我们)?(?:热烈)?(?:欢迎|鼓掌)|掌声)"
)
THANKS_TITLE = re.compile(THANKS_LEAD + r"(?:[^，]{0,3}(?:老师|总|博士|教授)|(?:各位|[两三四五六几]位)[^，]{0,6})$")
# After thanks, a first-person opening is the next panelist, unless the moderator goes on.
SELF_OPENING = re.compile(r"^(?:(?:对|好|嗯|是|是的|那|行)[，, ]?)*(?:我(?!们|想(?:再)?(?:问|请|追)|再问|插)|其实)")
MODERATOR_GOES_ON = re.compile(
    r"^(?:(?:那|然后|接下来|下面|好|对)[，, ]?)*(?:我们|咱们|第[一二三四五六]|下一个|最后|今天|刚才|刚刚)"
)
SPEAK_REQUEST = re.compile(
    r"^(?:我|我们)(?:可以|能)(?:再)?(?:说|补充|讲|插|补)(?:充)?(?:两句|一句|几句|一下|一点|个)?(?:吗|嘛|么)?$"
)
PERMISSION = re.compile(r"^(?:可以|好|请|当然|请讲|没问题|您请|你说)+$")
# Remote panelists: 思远能听到吗 — 能听到; 大家能听到我吗 — 可以.
HEARING_CHECK = re.compile(
    r"^(?:喂[，, ]?)?(?:大家|主持人|你们|各位)?(?:能|可以)?听(?:到|得到|见|得见)我(?:说话)?(?:吗|嘛|么|了吗)?$"
)
HEARD = re.compile(r"^(?:(?:感谢|谢谢)(?:邀请|主持人)?[，, ]?)?(?:能听到|听得到|听得见|可以听到|能听见|听到了)")
YES_HEARD = re.compile(r"^(?:可以|能|能听到|听得到|听到了|没问题|可以听到)+$")
RESTATED_ANSWER = re.compile(r"^(?:其实|我觉得|我理解|这个问题|对于这个问题|关于这个)")
STRONG_ANSWER = re.compile(
    r"^(?:其实我也不是|我(?:总)?觉得这是一个|我理解(?:您|你)的|这个问题我|(?:对)?那我回答|我(?:来|先)回答|好问题|(?:好)?这个问题(?:非常|很|特别)好)"
)
ANOTHER_VOICE = re.compile(r"^(?:我(?:就)?(?:多|再)说一句|我(?:来)?补充|我(?:就)?简单插|我也(?:说|谈|讲)|我也回答)")
ASKER_REQUEST = re.compile(
    r"^(?:感谢您|谢谢您)?[，,]?(?:您能(?:不能)?(?:再)?|您(?:用)?一句话|您(?:再)?(?:重复|总结|说一下|简单说)|能不能请您)"
)
CONFIRM_TAG = re.compile(r"(?:是吧|对吧)$")
CONFIRM_START = re.compile(r"^(?:就是|也就是说|那就是|所以说|这是因为|那是不是|所以)")
SHORT_ANSWER = re.compile(r"^(?:对|是的|对是的|对对|对我觉得是的|没错|没有|不是|是)+$|^对(?:那)?我(?:觉得|回答)")
ASKER_CONTINUES = re.compile(r"^(?:好的|谢谢|就是|还有一个问题|那|但是|明白)")
ANSWER_OPENING = re.compile(
    r"^(?:对|是的|对是的|对对|嗯|没有|不是|对我觉得|其实|我觉得|我总觉得|我理解|这个问题|这是一个|我(?:来)?回答|那我回答|对那我)"
)


@dataclass
class Clause:
    start: int  # current-text offsets of the words, without marks or spaces
    end: int
    text: str
    sentence_end: bool = False  # a sentence mark (。？！) follows
    question: bool = False  # a question mark follows, or it ends like a question
    label: str | None = None  # a `**X**：` label already in the text opens this clause


@dataclass
class Turn:
    clause: int  # index of the first clause
    label: str
    rule: str
    confidence: float
    note: str
    paragraph_only: bool = False  # a paragraph break inside one speaker's turn


@dataclass
class Candidate:
    clause: int
    score: float
    hint: str  # moderator | named | order | panelist | resume | audience | answer | swap
    rule: str
    note: str
    name: str = ""  # the label for hint "named"
    group: int = -1  # candidates proposed by one cue (a hand-over: the moderator and the named)


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
        if name in self.given:
            return self.given[name]
        for key in (name + title, name, name[:1]):
            if key in self.by_name:
                return self.by_name[key]
        return f"{name[:1]}{title if title in LABEL_TITLES else '老师'}"

    def compile(self) -> None:
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


def propose(doc: Document, ctx: Context) -> list[Change]:
    text = doc.text
    title_start, title_end = _title_span(text)
    clauses = _clauses(text, title_end)
    overlay = _overlay(ctx)
    turns: list[Turn] = []
    if clauses and clauses[0].label:  # already laid out (our own output): keep its turns
        turns, prev = [], None
        for i, c in enumerate(clauses):
            if c.label:
                turns.append(
                    Turn(i, c.label, "turn:existing", 1.0, "label already in the text", paragraph_only=c.label == prev)
                )
                prev = c.label
            elif i and "\n\n" in text[clauses[i - 1].end : c.start]:  # an unlabelled paragraph: its own
                turns.append(
                    Turn(i, prev, "paragraph:existing", 1.0, "paragraph already in the text", paragraph_only=True)
                )
        turns = _apply_overrides(turns, clauses, overlay, doc)
    elif clauses:
        title = text[title_start:title_end] if title_end else ""
        turns = segment(clauses, overlay, title, _word_test(ctx))
        if not turns:
            turns = [Turn(0, _solo_label(title, overlay), "turn:single-speaker", 0.9, "no hand-over cues: one speaker")]
        turns = _apply_overrides(turns, clauses, overlay, doc)
        turns = _paragraphs(_merge(turns), clauses, text)
    existing = bool(clauses) and clauses[0].label is not None
    return _Layout(doc, ctx.talk or "transcript", fix_marks=not existing).changes(
        title_start, title_end, clauses, turns
    )


# ----------------------------------------------------------------------- clauses


def _title_span(text: str) -> tuple[int, int]:
    """(start, end) of the title line (`# …` as the first non-blank line), or (0, 0)."""
    stripped = text.lstrip(WS)
    if stripped.startswith("# ") or stripped.startswith("#\t"):
        start = len(text) - len(stripped)
        nl = text.find("\n", start)
        return start, (len(text) if nl < 0 else nl)
    return 0, 0


EXISTING_LABEL = re.compile(r"^[ \t]*\*\*([^*\n]{1,24})\*\*[ \t]*[：:][ \t]*", re.M)
_CLAUSE = re.compile(rf"[^{MARKS}{WS}](?:[^{MARKS}\n]*[^{MARKS}{WS}])?")
_CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \t\u3000]+(?=[{CJK}])")


def _clauses(text: str, body_start: int) -> list[Clause]:
    out: list[Clause] = []
    images = [(m.start(), m.end()) for m in IMAGE_LINE.finditer(text, body_start)]
    labels = {m.start(): m for m in EXISTING_LABEL.finditer(text, body_start)}
    for m in _CLAUSE.finditer(text, body_start):
        if any(a <= m.start() < b for a, b in images):
            continue
        pos, words, label = m.start(), m.group(), None
        if pos in labels or (m.start() - 1 in labels and text[m.start() - 1] in " \t"):
            lm = labels.get(pos) or labels[m.start() - 1]
            label, words, pos = lm.group(1).strip(), text[lm.end() : m.end()], lm.end()
            if not words.strip():
                continue
        for piece in _CJK_SPACE.split(words):  # a space between Chinese words is a pause
            s = text.index(piece, pos)
            out.append(Clause(s, s + len(piece), piece, label=label))
            label = None
            pos = s + len(piece)
    for k, c in enumerate(out):
        nxt = out[k + 1] if k + 1 < len(out) else None
        gap = text[c.end : nxt.start if nxt else len(text)]
        c.sentence_end = nxt is None or any(ch in END_MARKS for ch in gap)
        c.question = "？" in gap or "?" in gap or bool(QUESTION_END.search(c.text)) or bool(ASKED.search(c.text))
    return out


# ----------------------------------------------------------------------- names and roster


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


SELF_INTRO = re.compile(
    rf"^(?:(?:大家|各位)(?:好|下午好|上午好|晚上好)[，, ]?)?"
    rf"我(?:是|叫)(?:来自)?(?:[{CJK}A-Za-z]{{2,16}}的)?(?P<name>[{CJK}]{{2,3}})$"
)
NOT_A_NAME = re.compile(
    r"(学生|老师|同学|朋友|研究员|工程师|博士生|教授|主持人|一名|一个|负责人|创始人|今天|这个|觉得|认为|说|想)"
)


def _self_intro(clause: str) -> str:
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


TITLE_SPLIT = re.compile(r"\s*(?:[-—–|｜×:：、/]|\s[xX]\s|对话|对谈)\s*")
TITLE_WORD = re.compile(
    r"论坛|大会|圆桌|报告|讨论|主题|环节|社区|幕|致辞|演讲|对话|分享|专场|峰会|高峰|安全|智能|模型|问答"
)


def _title_people(title: str) -> list[str]:
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


def _roster(clauses: list[Clause], overlay: dict, title: str = "", is_word=None) -> Roster:
    roster = Roster()
    people = _title_people(title)
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
        if intro := _self_intro(c.text):
            evidence[intro[0]] += 1
            given.setdefault(intro[0], set()).add(intro)
        found = _handover(c.text, clauses[i + 1].text if i + 1 < len(clauses) else "", c.question, _names(c.text))
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
    speakers = _speakers_section(overlay)
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


def _speakers_section(overlay: dict) -> dict:
    speakers = overlay.get("speakers") if isinstance(overlay, dict) else None
    return speakers if isinstance(speakers, dict) else {}


# ----------------------------------------------------------------------- cues


def _handover(
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
            if found := _handover(clause, nxt, question, hits[k + 1 :]):
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


NAMED_RULES = {"turn:handover-name", "turn:handover-bare-name", "turn:self-introduction", "turn:answer-to-named"}


class _Segmenter:
    """Candidate turn starts from cues, the chosen turns, and their labels."""

    def __init__(self, clauses: list[Clause], overlay: dict, title: str = "", is_word=None) -> None:
        self.clauses = clauses
        self.texts = [c.text for c in clauses]
        self.n = len(clauses)
        self.roster = _roster(clauses, overlay, title, is_word)
        self.cands: list[Candidate] = []
        self.handovers: dict[int, tuple] = {}
        self.anchors: list[int] = []
        self.pending: list[tuple[int, float, str, int]] = []
        self.thanked_by: dict[int, str] = {}  # clause -> the panelist the moderator thanks there
        self.recalled: set[str] = set()  # placeholders the panel order brings back: someone unnamed
        for i, t in enumerate(self.texts):
            found = _handover(t, self.texts[i + 1] if i + 1 < self.n else "", clauses[i].question, self.names(t))
            if found:
                self.handovers[i] = found

    # -- helpers
    def names(self, text: str) -> list[tuple[int, int, str, str]]:
        return self.roster.names(text)

    def text(self, i: int) -> str:
        return self.texts[i] if 0 <= i < self.n else ""

    def order_cue(self, i: int) -> bool:
        """`我们按报告的顺序`, `这次反过来，从X老师开始`: an order given to the panel, not a
        panelist's `所以它按照这个顺序来` or `反过来看`."""
        if not ORDER_CUE.search(self.text(i)):
            return False
        near = self.text(i - 1) + self.text(i) + self.text(i + 1)
        if REVERSE_CUE.search(self.text(i)) and not re.search(r"顺序|老师|嘉宾|开始|一轮|这次|轮", near):
            return False
        return bool(re.search(r"我们|咱们|各位|大家|每|几位|老师|嘉宾|从", self.text(i - 1) + self.text(i)))

    def closing_before(self, i: int) -> float:
        """Evidence that a turn ends just before clause i."""
        prev, prev2 = self.text(i - 1), self.text(i - 2)
        if CLOSING.search(prev):
            return 2.0
        if THANKS_END.match(prev) and i >= 2 and not THANKS_END.match(prev2):
            return 1.2 + (0.6 if CLOSING.search(prev2) else 0.0)
        if CLOSING.search(prev2) and (ACK.match(prev) or len(prev) <= 4):
            return 1.4
        return 0.0

    def moderator_opening(self, i: int) -> float:
        """Evidence that the moderator starts speaking at clause i."""
        t = self.text(i)
        score = 0.0
        if STRONG_ACK.match(t):
            score += 1.5
        elif ACK.match(t):
            score += 0.6
        for k in (i, i + 1, i + 2):
            u = self.text(k)
            if ACK_COMMENT.search(u) or re.search(r"我感觉(?:这个)?[^，]{0,4}(?:老师|先生)的", u):
                score += 1.2 if k == i or ACK.match(t) or STRONG_ACK.match(t) else 0.6
                break
        if MODERATOR_META.search(t):
            score += 1.0
        return score

    def sentence_start(self, i: int, floor: int = 0) -> int:
        """The first clause of the sentence clause i is in (not before `floor`)."""
        while i > floor and not self.clauses[i - 1].sentence_end:
            i -= 1
        return i

    def add(self, i: int, score: float, hint: str, rule: str, note: str = "", name: str = "", group: int = -1) -> None:
        if 0 <= i < self.n:
            self.cands.append(Candidate(i, score, hint, rule, note or self.text(i)[:16], name, group))

    def moderator_before(self, h: int, base: float, rule: str = "", group: int = -1) -> None:
        """The moderator speaks up to clause h: where that turn starts is settled once every
        other cue has proposed its turns (see `settle_moderators`)."""
        self.pending.append((h, base, rule, group))

    def settle_moderators(self) -> None:
        groups = {c.group for c in self.cands}
        self.anchors = sorted({c.clause for c in self.cands if c.hint != "moderator" and c.score >= 2.0})
        for h, base, rule, group in self.pending:
            if group >= 0 and group not in groups:
                continue  # the hand-over was an asker's (`我想问一下刘老师`): no moderator here
            j, score, why = self.moderator_start(h)
            self.add(j, base + min(score, 2.0), "moderator", rule or why, self.text(j)[:16], group=group)

    def moderator_start(self, h: int) -> tuple[int, float, str]:
        """Where the moderator's turn that ends in clause h (a hand-over, a new round) starts.

        The best-scored point after the last known turn start: a closing of the speaker before
        (`这是我的看法`, `谢谢`) and the moderator's acknowledgement (`好的明白`, `X老师的观点
        很有意思`); without either, the start of the hand-over's sentence.
        """
        floor = max([a + 1 for a in self.anchors if a < h] or [0])
        best, best_score, best_why = (
            max(floor, min(h, self.sentence_start(h, max(floor, h - 2)))),
            0.0,
            "turn:moderator",
        )
        for j in range(h, max(floor - 1, h - 45), -1):
            if (THANKS_END.match(self.text(j)) and j - 1 not in self.handovers) or CLOSING.search(self.text(j)):
                continue  # 谢谢 / 这是我的看法 end the speaker before rather than open the moderator
            end, start = self.closing_before(j), self.moderator_opening(j)
            if end == 0 and start < 1.2:
                continue
            score = end + start - 0.02 * (h - j)
            if score > best_score:
                why = "turn:moderator-after-closing" if end >= start else "turn:moderator-ack"
                best, best_score, best_why = j, score, why
        return best, best_score, best_why

    # -- cues
    def propose(self) -> None:
        n = self.n
        targets: dict[int, int] = {}
        for h, (rule, _conf, _name, _title, _cue) in sorted(self.handovers.items()):
            k = h + 1
            while (
                k < n
                and k - h <= 4
                and not self.clauses[k - 1].question
                and re.search(r"^(?:您|你)|您|^(?:因为|所以|而且|那)?你(?!们)", self.texts[k])
            ):
                k += 1  # 张总，您是做产业的，您怎么看：the question runs on to its end
            if re.search(r"(?:有请|邀请|欢迎)", self.texts[h]):
                # 有请来自复旦大学的吴老师，给我们带来报告，大家欢迎：the introduction runs on
                while k < n - 1 and k - h <= 4 and INTRO_GOES_ON.match(self.texts[k]):
                    k += 1
            if rule == "turn:handover-bare-name" and not (
                self.closing_before(h) or OPENING.match(self.text(h + 1)) or ANSWER_OPENING.match(self.text(h + 1))
            ):
                continue
            targets[h] = k
        self.anchors = sorted(targets.values())
        for h, k in targets.items():
            rule, conf, name, title, cue = self.handovers[h]
            bare = rule == "turn:handover-bare-name"
            label = self.roster.label(name, title) if name else ""
            self.add(k, 1.8 if bare else 3.0, "named" if name else "order", rule, cue, label, group=h)
            if bare:
                self.add(h, 2.5, "moderator", "turn:moderator-bare-name", self.text(h)[:16], group=h)
            else:
                self.moderator_before(h, 1.5, group=h)
        for i in range(n):
            t = self.texts[i]
            if name := _self_intro(t):
                s = (
                    i - 1
                    if i > 0
                    and re.fullmatch(r"(?:大家|各位)(?:好|下午好|上午好|晚上好)|谢谢主持人|好|对", self.text(i - 1))
                    else i
                )
                self.add(s, 2.6, "named", "turn:self-introduction", t[:20], self.roster.label(name))
            if self.order_cue(i) and not any(h in targets for h in range(i, i + 4)):
                k = i + 1
                q = next((q for q in range(i, min(n - 1, i + 8)) if self.clauses[q].question), None)
                if q is not None and not any(OPENING.match(self.texts[m]) for m in range(i + 1, q + 1)):
                    k = q + 1  # 按顺序，每个人讲一讲，您觉得…是什么？ — the first answer follows the question
                while k < n - 1 and (
                    ACK.match(self.texts[k]) or ORDER_CUE.search(self.texts[k]) or len(self.texts[k]) <= 1
                ):
                    if ACK.match(self.texts[k]) and (
                        OPENING.match(self.texts[k + 1]) or self.texts[k + 1].startswith("没问题")
                    ):
                        break  # 行，没问题: the acknowledgement opens the answer
                    k += 1
                self.add(k, 2.6, "order", "turn:panel-order", t[:16])
                self.moderator_before(i, 1.5)
            end = self.closing_before(i)
            opening = bool(OPENING.match(t) or TAKING_FLOOR.match(t)) and not _self_intro(t)
            if end and i > 0 and not THANKS_END.match(t) and not CLOSING.search(t):
                mod = self.moderator_opening(i)
                follow_up = (self.clauses[i].question or self.question_ahead(i)) and not ACK.match(t)
                if follow_up and not re.match(r"^(?:然后|但是|所以|而且|就是|因为)", t):
                    # a question after a closing: the moderator asks, the same speaker answers
                    if self.resume_after_question(i):
                        self.add(i, end + mod, "moderator", "turn:moderator-follow-up")
                elif mod >= 0.6 or MODERATOR_META.search(t):
                    self.add(i, end + mod, "moderator", "turn:moderator-after-closing")
                elif opening:
                    self.add(i, end + 1.0, "panelist", "turn:next-speaker-opening", t[:16])
            elif opening and i > 0:
                # alone, only words that take the floor (我补充一下, 我多说一句) count; 我觉得这个问题
                # or 我的看法是 open a turn after a closing, not in the middle of someone's answer
                strong = bool(TAKING_FLOOR.match(t))
                after_pause = (
                    self.clauses[i - 1].sentence_end or self.clauses[i - 1].question or ACK.match(self.text(i - 1))
                )
                score = (1.5 if strong else 1.0) + (0.3 if after_pause else 0.0)
                self.add(i, score, "panelist", "turn:next-speaker-opening", t[:16])
            if (m := THANKS_NAME.match(t)) and (hit := next((h for h in self.names(t) if h[0] == m.end()), None)):
                self.thanked_by[i] = self.roster.label(hit[2], hit[3])
                self.add(i, 2.2 + self.closing_before(i), "moderator", "turn:thanks-name", t[:16], group=i)
            elif THANKS_TITLE.match(t) and i > 0 and (self.clauses[i - 1].sentence_end or self.closing_before(i)):
                self.add(i, 1.6 + self.closing_before(i), "moderator", "turn:thanks", t[:16], group=i)
            if (i in self.thanked_by or THANKS_TITLE.match(t)) and i + 1 < n and i not in self.handovers:
                j = i + 1
                while j < n - 1 and ACK.match(self.texts[j]):
                    j += 1
                nxt = self.texts[j]
                if (
                    SELF_OPENING.match(nxt)
                    and not MODERATOR_GOES_ON.match(nxt)
                    and j not in self.handovers
                    and not self.question_ahead(j, 2)
                ):
                    self.add(
                        j, 1.6 + 0.4 * bool(TAKING_FLOOR.match(nxt)), "panelist", "turn:after-thanks", nxt[:16], group=i
                    )
            if SPEAK_REQUEST.match(t) and PERMISSION.match(self.text(i + 1)):
                # 我可以说两句吗 — 可以可以 — the panelist goes on
                self.add(i, 2.2, "panelist", "turn:asks-to-speak", t[:16], group=i)
                self.add(i + 1, 2.2, "moderator", "turn:gives-the-floor", self.text(i + 1)[:16], group=i)
                self.add(i + 2, 2.2, "resume", "turn:speaks-on", self.text(i + 2)[:16], group=i)
            if HEARING_CHECK.match(t):  # 大家能听到我吗 (a remote panelist) — 可以 (the moderator)
                self.add(i, 2.2, "panelist", "turn:remote-check", t[:16], group=i)
                if YES_HEARD.match(self.text(i + 1)):
                    self.add(i + 1, 2.2, "moderator", "turn:remote-reply", self.text(i + 1)[:16], group=i)
                    self.add(i + 2, 2.2, "resume", "turn:remote-resumes", self.text(i + 2)[:16], group=i)
            if HEARD.match(t) and i > 0 and i - 1 in self.handovers:
                j = i + 1  # 能听到 — 好的好的: the moderator goes on
                while j < min(n, i + 3) and HEARD.match(self.texts[j]):
                    j += 1
                if j < n and ACK.match(self.texts[j]):
                    self.add(j, 2.2, "moderator", "turn:heard-ack", self.texts[j][:16], group=i)
            if PUT_TO_PANEL.search(t) and (self.clauses[i].question or re.search("请", t)) and i not in self.handovers:
                # 这个想请两位发表你们的看法 / 不知道你怎么看这个问题 — 好的，简单的说我觉得…
                j = i + 1
                while (
                    j < n - 1 and j - i <= 2 and not (self.clauses[j - 1].question or self.clauses[j - 1].sentence_end)
                ):
                    j += 1
                if j < n and ANSWER_LEAD.match(self.texts[j]) and j not in self.handovers:
                    s = self.sentence_start(i, max(0, i - 4))
                    named = [self.roster.label(h[2], h[3]) for k in range(s, i + 1) for h in self.names(self.texts[k])]
                    if named and not re.search(r"两位|各位|几位|你们", t):
                        self.add(j, 2.0, "named", "turn:answer-to-question", t[:16], named[-1])
                    else:
                        self.add(j, 1.8, "panelist", "turn:answer-to-question", t[:16])
            if CONFIRMATION.match(t) and i > 0 and self.asks(i - 1) and MODERATOR_GOES_ON.match(self.text(i + 1)):
                # …这个就不用再debate了是吧？ — 对对是的，我们先建立了这个共识: the moderator agrees, goes on
                self.add(i, 1.6, "moderator", "turn:moderator-confirms", t[:16])
            if PANEL_QUESTION.search(t) and i > 0 and i not in self.handovers:
                self.panel_question(i)
            if PANEL_INVITE.search(t) and i not in self.handovers:
                # 其他几位老师有没有补充？ — someone on the panel answers once the question ends
                q = next((q for q in range(i, min(n - 1, i + 4)) if self.clauses[q].question), i)
                self.add(q + 1, 2.0, "panelist", "turn:panel-invited", t[:16])
                self.moderator_before(i, 1.5)
            if FOLLOW_UP.search(t) and i > 0 and i not in self.handovers:
                self.follow_up(i)
            if MODERATOR_META.search(t) and i > 0:
                s = i
                while s > max(0, i - 3) and ACK.match(self.text(s - 1)) and not THANKS_END.match(self.text(s - 1)):
                    s -= 1
                self.add(s, 1.6 + self.closing_before(s), "moderator", "turn:moderator-meta", t[:16])
            if (
                t.startswith("您")
                and i > 0
                and self.question_ahead(i, 5, 2)
                and not any(h in self.handovers for h in (i - 1, i - 2))
            ):
                s = i
                while s > max(0, i - 2) and ACK.match(self.text(s - 1)):
                    s -= 1
                self.add(s, 1.6, "moderator", "turn:addressed-question", t[:16])
                self.resume_after_question(i)
        self.audience()
        self.settle_moderators()

    def panel_question(self, i: int) -> None:
        """`这件事你们认为…还是不存在` / `我想问两位一个问题…吗？` — the moderator asks the panel,
        and someone answers at the first answer-like opening (`好`, `我觉得`) after the
        question ends; without such an answer within reach, no turn. A question that opens
        with `那`/`好` (`那最后一个问题…`) starts the moderator's turn itself."""
        for k in range(i + 1, min(self.n, i + 60)):
            t = self.texts[k]
            if k in self.handovers or AUDIENCE_INVITE.search(t):
                return
            asked = self.asks(k - 1) or self.asks(k - 2) or k - 1 - i <= 1  # …吗？还是…
            paused = self.clauses[k - 1].sentence_end or self.clauses[k - 1].question or k - i <= 2
            if not (asked and paused and (ANSWER_LEAD.match(t) or ANSWER_OPENING.match(t))):
                continue
            if MODERATOR_LEAD.match(self.texts[i]) and not self.clauses[i - 1].question:
                self.add(i, 1.5 + self.closing_before(i), "moderator", "turn:panel-question")
            else:
                self.moderator_before(i, 1.5, "turn:panel-question")
            self.add(k, 1.8, "panelist", "turn:answer-to-panel-question", self.texts[i][:16])
            return

    def asks(self, k: int) -> bool:
        """Clause k ends a question: a question, not a tag (`对吧？`) in the middle of one."""
        return self.clauses[k].question and not re.fullmatch(r"(?:对|是|好)吧|对不对|是不是", self.texts[k])

    def follow_up(self, i: int) -> None:
        """`刚才陈老师提到…，我想追问一下，您觉得…？`: the moderator asks again; the one named in
        the question (or else the last speaker) answers when it ends."""
        s = self.sentence_start(i, max(0, i - 4))
        named = [
            self.roster.label(name, title) for k in range(s, i + 1) for _, _, name, title in self.names(self.texts[k])
        ]
        q = next((q for q in range(i, min(self.n - 1, i + 6)) if self.clauses[q].question), None)
        if q is None:
            return
        self.moderator_before(i, 1.6, "turn:moderator-follow-up")
        if named:
            self.add(q + 1, 2.4, "named", "turn:follow-up-answer", self.texts[i][:16], named[-1])
        else:
            self.add(q + 1, 2.0, "resume", "turn:follow-up-answer", self.texts[i][:16])

    def question_ahead(self, i: int, limit: int = 3, sentences: int = 1) -> bool:
        """A question ends within `limit` clauses and `sentences` sentences from clause i."""
        for k in range(i, min(self.n, i + limit)):
            if self.clauses[k].question:
                return True
            if self.clauses[k].sentence_end:
                sentences -= 1
                if sentences == 0:
                    return False
        return False

    def resume_after_question(self, i: int) -> bool:
        """After a follow-up question at i, the one asked answers at the next non-question."""
        k, seen_q, last_q = i, False, False
        while k < min(self.n, i + 8):
            t = self.texts[k]
            if self.clauses[k].question or (seen_q and re.search(r"为什么|什么|怎么|哪|啥", t)):
                seen_q = last_q = True
            elif seen_q and (last_q or self.clauses[k - 1].sentence_end):
                break
            else:
                last_q = False
            k += 1
        if (
            seen_q
            and k < self.n
            and (ANSWER_OPENING.match(self.texts[k]) or re.match(r"^(?:我|这个|因为)", self.texts[k]))
        ):
            self.add(k, 2.0, "resume", "turn:answer", self.texts[k][:16])
            return True
        return False

    def audience(self) -> None:
        """Audience questions: after an invitation, or opened by 各位老师好 / 我想问一下."""
        n = self.n
        starts: list[int] = []
        for v in range(n):
            if not AUDIENCE_INVITE.search(self.texts[v]):
                continue
            k = v + 1
            while k < n and (
                AUDIENCE_INVITE.search(self.texts[k]) or MIC.search(self.texts[k]) or ACK.match(self.texts[k])
            ):
                k += 1
            # the moderator may talk on after inviting: the audience starts at a cue within reach
            later = [
                m for m in range(k, min(n, k + 12)) if AUDIENCE_START.search(self.texts[m]) or MIC.search(self.texts[m])
            ]
            if later and not any(AUDIENCE_START.search(self.texts[m]) for m in range(k, min(n, k + 3))):
                m = later[0]
                if MIC.search(self.texts[m]):
                    while m < n and (MIC.search(self.texts[m]) or ACK.match(self.texts[m])):
                        m += 1
                else:
                    m = self.sentence_start(m, k)
                k = m
            if k < n:
                starts.append(k)
                self.add(k, 2.6, "audience", "turn:audience-invited", self.texts[v][:16])
                self.moderator_before(v, 1.5)
        invited = min(starts, default=n)
        for i in range(n):
            # 我想问一下 before any invitation is the moderator asking the panel; a greeting
            # (各位老师好) is an asker's wherever it comes
            if AUDIENCE_START.search(self.texts[i]) and (i > invited or AUDIENCE_GREETING.match(self.texts[i])):
                s = i if re.match(r"^(?:各位|老师|大家)", self.texts[i]) else self.sentence_start(i, max(0, i - 3))
                if any(0 <= s - a <= 6 for a in starts):
                    continue
                starts.append(s)
                self.add(s, 2.4, "audience", "turn:audience-question", self.texts[i][:16])
        for a in sorted(starts):
            self.answer_after(a, self.audience_target(a, starts))

    def audience_target(self, a: int, starts: list[int]) -> str:
        """A panelist the asker names (`我想问一下刘老师`): that one answers, after the question.

        The hand-over inside the question proposes no turns of its own; openings and
        self-introductions in the asker's first clauses (`我是来自北航的学生`) are the asker's.
        """
        end = min([s for s in starts if s > a] + [self.n, a + 15])
        end = next((k + 1 for k in range(a, end) if AUDIENCE_END.search(self.texts[k])), end)  # the question ends
        target = ""
        for h in range(a, end):
            if h in self.handovers and self.handovers[h][2] and not target:
                rule, conf, name, title, cue = self.handovers[h]
                target = self.roster.label(name, title)
                self.cands = [c for c in self.cands if c.group != h]
        self.cands = [
            c for c in self.cands if not (a < c.clause <= a + 3 and c.hint in ("named", "panelist") and c.group == -1)
        ]
        return target

    def answer_after(self, a: int, target: str = "") -> None:
        """The panel answers an audience question: at the first answer opening after it ends."""
        for k in range(a + 2, min(self.n, a + 200)):
            prev = self.clauses[k - 1]
            t = self.texts[k]
            if AUDIENCE_INVITE.search(t) or (AUDIENCE_START.match(t) and k - a > 4):
                return
            ended = prev.question or prev.sentence_end or AUDIENCE_END.search(prev.text)
            if ANSWER_START.match(t) and (ended or STRONG_ANSWER.match(t)):
                if target:
                    self.add(k, 2.4, "named", "turn:answer-to-named", f"{t[:16]} ({target} was asked)", target)
                else:
                    self.add(k, 2.2, "answer", "turn:answer", t[:16])
                return

    def exchange(self, turns: list[Turn]) -> list[Turn]:
        """The back-and-forth of a Q&A, once turns are labelled: the asker's confirmations
        (`就是…是吧` while a panelist speaks), short answers (`对是的`), the moderator's requests
        to the asker (`您能再重复一下`) and the asker resuming."""
        mod = self.roster.moderator
        first = next((t.clause for t in turns if t.label.startswith(AUDIENCE)), None)
        if first is None:
            return turns
        by_clause = {t.clause: t for t in turns}
        starts = sorted(by_clause)
        n = self.n

        def speaker(i: int) -> str:
            return by_clause[starts[bisect.bisect_right(starts, i) - 1]].label

        def put(i: int, label: str, rule: str, conf: float) -> None:
            nonlocal starts
            if 0 < i < n and (i not in by_clause or by_clause[i].confidence < conf):
                by_clause[i] = Turn(i, label, rule, conf, self.text(i)[:16])
                starts = sorted(by_clause)

        def last(pred, before: int) -> str:
            for k in reversed(starts):
                if k < before and pred(by_clause[k].label):
                    return by_clause[k].label
            return ""

        def is_panel(label: str) -> bool:
            return label != mod and not label.startswith(AUDIENCE)

        i = first + 1
        while i < n:
            t, cur = self.texts[i], speaker(i)
            if cur.startswith(AUDIENCE) and ASKER_REQUEST.match(t):
                s = i
                while s > first and re.fullmatch(r"(?:感谢您|谢谢您|好的?|对)", self.text(s - 1)):
                    s -= 1
                put(s, mod, "turn:qa-request", 0.7)
                for k in range(i + 1, min(n, i + 12)):
                    u = self.texts[k]
                    if re.match(r"^(?:对|好|就是|嗯|一句话)", u) and not ASKER_REQUEST.match(u) and "您" not in u:
                        put(k, cur, "turn:qa-asker-resumes", 0.65)
                        i = k
                        # the asker restates the question; the panel answers at the next sentence
                        # that opens like an answer (其实…, 我觉得…)
                        for m in range(k + 4, min(n, k + 40)):
                            if AUDIENCE_INVITE.search(self.texts[m]) or m in by_clause:
                                break
                            if self.clauses[m - 1].sentence_end and RESTATED_ANSWER.match(self.texts[m]):
                                put(m, self.guest_label(by_clause), "turn:qa-answer", 0.45)
                                break
                        break
            elif is_panel(cur) and self.clauses[i].question and CONFIRM_TAG.search(t):
                s = i
                while s > max(first, i - 3) and not CONFIRM_START.match(self.texts[s]):
                    s -= 1  # (across the ASR's sentence marks: they are guesses)
                asker = last(lambda x: x.startswith(AUDIENCE), i)
                if (
                    asker
                    and CONFIRM_START.match(self.texts[s])
                    and sum(len(self.texts[k]) for k in range(s, i + 1)) <= 45
                ):
                    put(s, asker, "turn:qa-confirm", 0.65)
                    nxt = self.text(i + 1)
                    if SHORT_ANSWER.match(nxt):
                        put(i + 1, cur, "turn:qa-short-answer", 0.7)
                        if ASKER_CONTINUES.match(self.text(i + 2)):
                            put(i + 2, asker, "turn:qa-follow-up", 0.6)
                            i = self.reply_after(i + 2, cur, put)
                    elif nxt:
                        put(i + 1, cur, "turn:qa-answer", 0.55)
            i += 1
        return _merge([by_clause[k] for k in sorted(by_clause)])

    def guest_label(self, by_clause: dict[int, Turn]) -> str:
        """A fresh 嘉宾 label for an answerer the cues cannot name (style may name it later)."""
        used = {t.label for t in by_clause.values()}
        k = 0
        while (label := f"{GUEST}{chr(ord('A') + k)}" if k < 26 else f"{GUEST}{k}") in used:
            k += 1
        return label

    def reply_after(self, i: int, panelist: str, put) -> int:
        """After the asker's follow-up at i, the panelist replies once the question ends: at the
        next answer-like opening, or right after a question mark that ends it."""
        for k in range(i + 1, min(self.n, i + 25)):
            prev = self.clauses[k - 1]
            t = self.texts[k]
            if CONFIRM_TAG.search(t) and self.clauses[k].question and k - i <= 3:  # a short 对吧？, not a tic
                if not re.match(r"^(?:还是|或者|就是|然后|因为|所以|而|那|比如)", self.text(k + 1)):
                    put(k + 1, panelist, "turn:qa-reply", 0.5)
                    return k + 1
                continue
            if (prev.question or prev.sentence_end) and re.match(r"^(?:对(?:因为|我觉得|那|是的)|其实|因为|我觉得)", t):
                put(k, panelist, "turn:qa-reply", 0.55)
                return k
        return i

    # -- choice and labels
    def choose(self) -> list[Candidate]:
        """The best candidate per clause above ACCEPT; an unnamed opening right after a named
        or ordered turn start is that speaker's first words, not another turn."""
        best: dict[int, Candidate] = {}
        for c in self.cands:
            tentative = c.hint == "panelist" and c.score >= TENTATIVE  # kept only inside a round
            if (c.score >= ACCEPT or tentative) and (c.clause not in best or c.score > best[c.clause].score):
                best[c.clause] = c
        chosen = [best[i] for i in sorted(best)]
        targeted = {c.clause for c in self.cands if c.group >= 0 and c.hint != "moderator"}
        out: list[Candidate] = []
        for c in chosen:
            if (
                c.hint == "panelist"
                and c.rule != "turn:panel-invited"
                and c.clause not in targeted
                and any(
                    p.hint in ("named", "order", "moderator") and 0 < c.clause - p.clause <= 2 and p.score > c.score
                    for p in out[-2:]
                )
            ):
                continue
            out.append(c)
        return out

    def label(self, chosen: list[Candidate]) -> list[Turn]:
        """Who speaks each chosen turn, left to right, following the panel order.

        The order is the overlay's, or learned from the first round (each new panelist the
        moderator hands to); `反过来` starts a round in reverse. A named hand-over wins over the
        order, except a bare name (`黄老师，`), which the order overrules.
        """
        mod = self.roster.moderator
        turns = [Turn(0, mod, "turn:first", 0.6, self.text(0)[:16])]
        order: list[str] = list(self.roster.order)
        learning = not order
        fixed = list(order)  # a panel known before the text: every unnamed turn is one of them
        rnd: list[str] = list(order)
        slot = -1
        audience = guests = 0
        history = [mod]
        asked: str | None = None  # in the Q&A: the panelist answering the current asker
        variants: list[tuple[str, str, int]] = []  # (new name, name the order expected, at turn)

        def guest() -> str:
            nonlocal guests
            guests += 1
            return f"{GUEST}{chr(ord('A') + guests - 1)}" if guests <= 26 else f"{GUEST}{guests}"

        def unnamed(i: int) -> str:
            """An answer nobody named: one of a panel known beforehand (see `least_heard`), or
            a placeholder that style or the panel the text names may resolve later. Who
            answers an asker follows no rotation: a placeholder in the Q&A."""
            return (fixed and asked is None and self.least_heard(fixed, history, i)) or guest()

        first = next((c for c in chosen if c.clause == 0), None)
        if first is not None and first.hint == "named":  # 大家好，我是…: a panelist opens the text
            turns[0] = Turn(0, first.name, first.rule, 0.7, first.note)
            history = [first.name]
        elif re.search(r"谢谢主持人|感谢主持人", "".join(self.texts[:2])):  # the host is not in the transcript
            label = guest()
            turns[0] = Turn(0, label, "turn:first-thanks-the-host", 0.6, self.text(0)[:16])
            history, order, rnd, slot = [label], [label], [label], 0
        for c in chosen:
            if c.clause == 0:
                continue
            prev = history[-1]
            if c.hint == "moderator":
                label = mod
            elif c.hint == "named":
                label = c.name
                bare = c.rule == "turn:handover-bare-name"
                if bare and not learning and 0 <= slot + 1 < len(rnd) and rnd[slot + 1] != label:
                    label = rnd[slot + 1]  # a bare name against the announced order: trust the order
                if label in rnd:
                    slot = rnd.index(label)
                elif learning:
                    order.append(label)
                    rnd = list(order)
                    slot = len(rnd) - 1
                else:
                    slot += 1
                    if 0 <= slot < len(rnd) and label not in history and not bare:
                        variants.append((label, rnd[slot], len(turns)))
            elif c.hint == "order":
                if self.reversed_round(c.clause) and order:
                    learning = False
                    rnd = list(reversed(order))
                    slot = 0
                    label = rnd[0]
                elif learning and not order and len(intro := self.introduced(c.clause)) >= 2:
                    order, rnd, slot, learning = list(intro), list(intro), 0, False  # 按照刚才介绍的顺序
                    label = rnd[0]
                elif learning:
                    label = guest()
                    order.append(label)
                    rnd = list(order)
                    slot = len(rnd) - 1
                else:
                    rnd = list(order)
                    slot = 0
                    label = rnd[0] if rnd else guest()
            elif c.hint in ("panelist", "answer") and asked is not None:
                # Q&A: the panelist already answering this asker goes on, unless another chimes in
                t = self.text(c.clause)
                speakers = {h for h in history if h != mod and not h.startswith(AUDIENCE)}
                if asked and not ANOTHER_VOICE.match(t):
                    label = asked
                elif len(speakers) == 1 and not any(h.startswith(GUEST) for h in speakers):
                    label = next(iter(speakers))  # a talk's Q&A: its speaker answers
                else:
                    label = unnamed(c.clause)
            elif c.hint == "panelist" and c.score < ACCEPT and (learning or not 0 <= slot + 1 < len(rnd)):
                continue  # a weak opening (我从…角度来看) only marks the next panelist of a round
            elif c.hint == "panelist":
                if not learning and 0 <= slot + 1 < len(rnd):
                    slot += 1
                    label = rnd[slot]
                elif learning and prev == mod:
                    label = unnamed(c.clause)
                    if label not in order:
                        order.append(label)
                    rnd = list(order)
                    slot = rnd.index(label)
                else:
                    if not learning and not fixed:
                        slot = len(rnd)  # the round is over
                    label = unnamed(c.clause)
            elif c.hint == "resume":
                label = history[-2] if len(history) >= 2 else guest()
            elif c.hint == "audience":
                audience += 1
                label = f"{AUDIENCE}{audience}"
                asked, learning, rnd = "", False, []
            elif c.hint == "panel-resume":
                label = (
                    next((h for h in reversed(history[:-1]) if h != mod and not h.startswith(AUDIENCE)), "") or guest()
                )
            elif c.hint == "audience-resume":
                label = next((h for h in reversed(history) if h.startswith(AUDIENCE)), f"{AUDIENCE}{audience or 1}")
            else:  # an answer from the panel: the one already answering this asker, or a new one
                label = unnamed(c.clause)
            if label == prev:
                turns.append(Turn(c.clause, label, c.rule, 0.5, c.note))
                continue
            if asked is not None and label != mod and not label.startswith(AUDIENCE):
                asked = label
            conf = min(0.95, 0.35 + 0.15 * c.score)
            turns.append(Turn(c.clause, label, c.rule, round(conf, 2), c.note))
            if label.startswith(GUEST) and label in history and c.hint != "resume":
                self.recalled.add(label)  # the order brought an unnamed panelist back
            history.append(label)
        self.order_labels = set(order)
        return self.merge_variants(turns, variants)

    def thanked(self, turns: list[Turn]) -> list[Turn]:
        """`好，谢谢思远`: the turn the moderator thanks for was that panelist's. A placeholder
        (嘉宾A) or a guess from the order is renamed, everywhere for a placeholder."""
        mod = self.roster.moderator
        turns = _merge(turns)  # the thanks may be a moderator turn's second clause
        bounds = [t.clause for t in turns] + [self.n]
        for k in range(1, len(turns)):
            t, prev = turns[k], turns[k - 1]
            who = next(
                (self.thanked_by[i] for i in range(t.clause, min(bounds[k + 1], t.clause + 3)) if i in self.thanked_by),
                "",
            )
            if not who or t.label != mod or prev.label in (mod, who) or prev.label.startswith(AUDIENCE):
                continue
            if prev.rule in NAMED_RULES and not prev.label.startswith(GUEST):
                continue  # named when given the floor: the thanks may follow a turn we missed
            old = prev.label
            for u in turns if old.startswith(GUEST) else [prev]:
                if u.label == old:
                    u.label = who
                    u.note = f"{u.note} (thanked as {who})"
        return _merge(turns)

    def attribute_guests(self, turns: list[Turn]) -> list[Turn]:
        """Panelists the cues could not name (`我多说一句` in the Q&A) are matched, by style, to
        the panelists the text did name: character 1–3-gram naive Bayes over each panelist's
        turns. Spoken verbal habits (`对不对`, `所以从这个角度来讲`, `这个这个`) are strong
        fingerprints. Only a clear winner is taken, never someone the turn names in the third
        person or the speaker it follows; the turn keeps a low confidence so the editor checks it.
        """
        mod = self.roster.moderator
        known = getattr(self, "order_labels", set())
        bounds = [t.clause for t in turns] + [self.n]
        spans = {id(t): "".join(self.texts[bounds[k] : bounds[k + 1]]) for k, t in enumerate(turns)}

        def unknown(label: str) -> bool:
            return label.startswith(GUEST) and label not in known

        profiles: dict[str, Counter] = {}
        for t in turns:
            if t.label != mod and not t.label.startswith(AUDIENCE) and not unknown(t.label):
                profiles.setdefault(t.label, Counter()).update(_grams(spans[id(t)]))
        profiles = {k: v for k, v in profiles.items() if sum(v.values()) >= 600}
        if len(profiles) < 2:
            return turns
        vocab = len(set().union(*profiles.values()))
        totals = {k: sum(v.values()) for k, v in profiles.items()}
        relabel: dict[str, str] = {}
        for k, t in enumerate(turns):
            if not unknown(t.label) or t.label in relabel:
                continue
            own = "".join(spans[id(u)] for u in turns if u.label == t.label)
            if len(own) < 60:
                continue
            named = {self.roster.label(name, title) for _, _, name, title in self.names(own)}
            barred = named | {turns[k - 1].label if k else ""}
            scores = {}
            grams = _grams(own[:600])
            for label, prof in profiles.items():
                if label in barred:
                    continue
                scores[label] = sum(
                    c * math.log((prof.get(g, 0) + 0.5) / (totals[label] + 0.5 * vocab)) for g, c in grams.items()
                )
            if len(scores) < 2:
                continue
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
            margin = (ranked[0][1] - ranked[1][1]) * 100 / max(1, len(own[:600]))
            if margin >= STYLE_MARGIN:
                relabel[t.label] = ranked[0][0]
                for u in turns:
                    if u.label == t.label:
                        u.note = f"{u.note} (style closest to {ranked[0][0]}, margin {margin:.0f}: check)"
                        u.confidence = min(u.confidence, 0.4)
        for t in turns:
            t.label = relabel.get(t.label, t.label)
        return _merge(turns)

    def merge_variants(self, turns: list[Turn], variants: list[tuple[str, str, int]]) -> list[Turn]:
        """One panelist named two ways: in an announced order, a name never heard before takes
        the slot of a panelist who is then never heard again (黄先生 in round 1, 李老师 in the
        reversed round 2) — the ASR misheard one of the two. Keep the better-attested name."""
        for new, old, at in variants:
            if any(t.label == old for t in turns[at:]) or not any(t.label == old for t in turns[:at]):
                continue
            keep, drop = (new, old) if self.mentions(new) >= self.mentions(old) else (old, new)
            for t in turns:
                if t.label == drop:
                    t.label = keep
                    t.note = f"{t.note} ({drop} = {keep}: same slot in the panel order)"
                    t.confidence = min(t.confidence, 0.6)
        return turns

    def mentions(self, label: str) -> int:
        return sum(
            1 for t in self.texts for _, _, name, title in self.names(t) if self.roster.label(name, title) == label
        )

    def introduced(self, before: int) -> list[str]:
        """Panelists the moderator names before the first answer, in order (the introduction)."""
        out: list[str] = []
        for t in self.texts[:before]:
            for _, _, name, title in self.names(t):
                label = self.roster.label(name, title)
                if label not in out and "主持" not in t:
                    out.append(label)
        return out

    def least_heard(self, panel: list[str], history: list[str], i: int) -> str:
        """The panelist heard least lately (never yet: the first named), not the one who just
        spoke nor one the answer names in its first clauses; failing any, the panelist who
        just spoke goes on ("" if there is none)."""
        mod = self.roster.moderator
        last = next((h for h in reversed(history) if h != mod and not h.startswith(AUDIENCE)), "")
        named = {self.roster.label(n, t) for k in range(i, i + 3) for _, _, n, t in self.names(self.text(k))}
        pool = [p for p in panel if p not in named and p not in (history[-1], last)]
        if not pool:
            return history[-1] if history[-1] == last else ""
        return min(pool, key=lambda x: (max((k for k, h in enumerate(history) if h == x), default=-1), panel.index(x)))

    def to_panel(self, turns: list[Turn]) -> list[Turn]:
        """Placeholders left after the style match, in a panel the text names (`text_panel`):
        the panelist heard least lately where the placeholder first speaks, for all its turns,
        rather than a label that matches nobody — until the audience speaks. A placeholder the
        panel order brings back (a slot of every round) is someone the text never names: kept."""
        panel = self.text_panel()
        if len(panel) < 2:
            return turns
        chosen: dict[str, str] = {}
        history: list[str] = []
        for t in turns:
            if t.label.startswith(AUDIENCE):
                break  # who answers an asker follows no rotation
            if t.label.startswith(GUEST) and t.label not in panel and t.label not in self.recalled:
                if t.label not in chosen:
                    chosen[t.label] = self.least_heard(panel, history or [self.roster.moderator], t.clause)
                if label := chosen[t.label]:
                    t.note = f"{t.note} (unnamed: {label} heard least lately, check)"
                    t.confidence = min(t.confidence, 0.4)
                    t.label = label
            history.append(t.label)
        return _merge(turns)

    def text_panel(self) -> list[str]:
        """The panelists the text names at least twice (hand-overs, thanks, mentions), in the
        order first named: once is too little to tell a panelist from a misheard name."""
        seen: Counter[str] = Counter()
        for t in self.texts:
            for _, _, name, title in self.names(t):
                seen[self.roster.label(name, title)] += 1
        return [p for p in seen if seen[p] >= 2 and p != self.roster.moderator]

    def reversed_round(self, i: int) -> bool:
        return any(REVERSE_CUE.search(self.text(k)) for k in range(max(0, i - 8), i + 1))


def _grams(text: str) -> Counter:
    """Character bigrams of a turn (Latin words and numbers folded to one symbol, marks
    dropped): the best of 1–3-gram mixes when each panelist of the sample was held out."""
    text = re.sub(r"[A-Za-z0-9][A-Za-z0-9 .\-]*", "A", text)
    text = re.sub(rf"[{MARKS}{WS}]+", "", text)
    return Counter(text[k : k + 2] for k in range(len(text) - 1))


PANEL_TITLE = re.compile(r"圆桌|对话|对谈|访谈|座谈|panel|roundtable|round table|fireside|QA|Q&A|问答", re.I)


def panel_evidence(seg: _Segmenter, title: str) -> tuple[float, float]:
    """(from the text, from the title): how sure we are that several people speak."""
    texts = seg.texts
    named = {seg.roster.label(h[2], h[3]) for h in seg.handovers.values() if h[2] and h[0] != "turn:handover-bare-name"}
    score = float(len(named))
    score += any(h[0] == "turn:handover-order" and not h[2] for h in seg.handovers.values())
    score += max(0, len({n for t in texts if (n := _self_intro(t))}) - 1)  # one is a keynote's opening
    score += any(re.search(r"谢谢主持人|感谢主持人|主持人的问题", t) for t in texts[8:])
    score += any(seg.order_cue(i) for i in range(seg.n))
    score += any(AUDIENCE_INVITE.search(t) for t in texts) and any(AUDIENCE_START.search(t) for t in texts)
    title_score = (
        2.0 if PANEL_TITLE.search(title) or len(_title_people(title)) >= 2 else 1.0 if "讨论" in title else 0.0
    )
    return score, title_score


def segment(clauses: list[Clause], overlay: dict, title: str = "", is_word=None) -> list[Turn]:
    """Turns of a panel, or [] when the text gives no sign of more than one speaker.

    A panel needs two independent signs in the text (two names handed the floor, two
    self-introductions, a hand-over and a Q&A…), or one plus a title that says so (圆桌).
    """
    seg = _Segmenter(clauses, overlay, title, is_word)
    text_score, title_score = panel_evidence(seg, title)
    if not _speakers_section(overlay).get("panel") and text_score < 2 and not (text_score >= 1 and title_score >= 2):
        return []
    seg.propose()
    turns = seg.to_panel(seg.attribute_guests(seg.exchange(seg.thanked(seg.label(seg.choose())))))
    return turns if len({t.label for t in turns}) > 1 else []


def _word_test(ctx: Context):
    """`is_word(w)`: w is one word of the segmenter's dictionary (开发, 大家; not a given name like 明远)."""
    try:
        cut = ctx.segmenter
    except Exception:  # pragma: no cover - rjieba is a dependency
        return None
    return lambda w: list(cut(w)) == [w]


def _solo_label(title: str, overlay: dict) -> str:
    """The overlay's speaker, a name with a title in the talk's title (张三教授), or 主讲人."""
    speakers = _speakers_section(overlay)
    for key in ("speaker", "moderator"):
        if speakers.get(key):
            return str(speakers[key])
    if m := re.search(r"(?:主讲人?|讲者|嘉宾)[:：]\s*([\u4e00-\u9fff]{2,4})", title):
        return m.group(1)
    if len(people := _title_people(title)) == 1:  # 主题报告-周明远
        return people[0]
    if m := re.search(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,3}(?:教授|老师|博士|院士|研究员))", title):
        if m.group(1)[0] in SURNAMES:
            return m.group(1)
    return SOLO


def _overlay(ctx: Context) -> dict:
    try:
        overlay = ctx.talk_overlay
    except Exception:  # a broken overlay is the glossary stage's to report
        return {}
    return overlay if isinstance(overlay, dict) else {}


def _letters(s: str) -> str:
    return "".join(ch for ch in s if ch.isalnum())


def _apply_overrides(turns: list[Turn], clauses: list[Clause], overlay: dict, doc: Document) -> list[Turn]:
    """`overrides: [{at: "snippet", speaker: X}]`: X speaks from the clause the snippet starts in.

    The snippet is matched on letters only (marks and spaces ignored) in the current text, or
    failing that in the source (an earlier stage may have corrected a word inside it).
    """
    overrides = _speakers_section(overlay).get("overrides") or []
    if not overrides:
        return turns
    flat, owner = [], []
    for i, c in enumerate(clauses):
        for ch in c.text:
            if ch.isalnum():
                flat.append(ch)
                owner.append(i)
    flat_text = "".join(flat)
    starts = [c.start for c in clauses]
    by_clause = {t.clause: t for t in turns}
    for o in overrides:
        if not isinstance(o, dict):
            continue
        at, who = _letters(str(o.get("at", ""))), str(o.get("speaker", "")).strip()
        if not at or not who:
            continue
        pos = flat_text.find(at)
        if pos >= 0:
            i = owner[pos]
        else:
            cur = _source_to_current(doc, at)
            if cur is None:
                continue
            i = max(0, bisect.bisect_right(starts, cur) - 1)
        by_clause[i] = Turn(i, who, "turn:override", 1.0, f"editor override at {o.get('at')!r}")
    return [by_clause[i] for i in sorted(by_clause)]


def _source_to_current(doc: Document, letters: str) -> int | None:
    """Current-text offset of the first letter of `letters` found in the source, if any."""
    src = doc.source.text
    idx = [k for k, ch in enumerate(src) if ch.isalnum()]
    pos = "".join(src[k] for k in idx).find(letters)
    if pos < 0:
        return None
    target = idx[pos]
    shift = 0
    for e in doc.applied_edits:  # replay order is source order
        if e.end <= target:
            shift += len(e.after) - (e.end - e.start)
        elif e.start <= target:
            return e.start + shift
    return target + shift


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

    def length(a: int, b: int) -> int:
        return clauses[b - 1].end - clauses[a].start

    for t, end in zip(turns, bounds[1:], strict=True):
        out.append(t)
        start = t.clause
        if length(start, end) <= PARA_MAX:
            continue
        para_start = start
        for i in range(start + 1, end):
            if not clauses[i - 1].sentence_end:
                continue
            cur = length(para_start, i)
            if length(i, end) < PARA_MIN * 0.6:
                break
            nxt_end = next((k for k in range(i + 1, end) if clauses[k - 1].sentence_end), end)
            grows_too_long = cur + length(i, nxt_end) > PARA_MAX
            shift = bool(
                re.match(r"(?:然后|所以|另外|第二|第三|其次|最后|但是|那么|当然|总之|包括|比如说)", clauses[i].text)
            )
            if cur >= PARA_TARGET or (cur >= PARA_MIN and (shift or grows_too_long)):
                out.append(Turn(i, t.label, "paragraph:split", 0.9, f"{cur} characters", paragraph_only=True))
                para_start = i
    return out


# ----------------------------------------------------------------------- layout


class _Layout:
    """Edits that turn the current text into title + labelled paragraphs, touching only source."""

    def __init__(self, doc: Document, stem: str, fix_marks: bool = True) -> None:
        self.doc = doc
        self.fix_marks = fix_marks  # end each paragraph with a sentence mark (not when re-run on our output)
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
        for a, b in itertools.pairwise(points):
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
            self.tail(title_end, len(text))
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
            if self.fix_marks and ch in SOFT_MARKS and self.doc.is_original(last, last + 1):
                mark = "？" if _is_question(prev.text) else "。"
                self.out.append(
                    Change(last, last + 1, mark, "layout:turn-end-mark", 0.7, note=f"{ch} before a new paragraph")
                )
            after_marks = last + 1
        else:
            after_marks = gap_start
            if self.fix_marks and prev.text and prev.text[-1].isalnum() and self.doc.is_original(gap_start, gap_start):
                mark = "？" if _is_question(prev.text) else "。"
                self.out.append(
                    Change(
                        gap_start, gap_start, mark, "layout:turn-end-mark", 0.6, note="no mark before a new paragraph"
                    )
                )
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


def _is_question(clause: str) -> bool:
    return bool(re.search(r"(吗|呢|是吧|对吧|对不对|是不是|有没有|怎么看|什么样|什么|为什么|怎么样|哪)$", clause))
