"""What people say where a turn changes hands: the cue patterns, grouped by what they detect.

The segmenter (`segment.py`) scores candidate turn starts from these:

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

Names as addressed (X老师, given names, sound-alikes) and self-introductions are found by the
roster (`roster.py`), hand-overs by name too (`roster.handover`, from the patterns here).
"""

from __future__ import annotations

import re

# ----------------------------------------------------------------------- hand-overs

# What a panelist is asked for: a view, an addition, an experience.
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

# What comes just before the name (请, 有请…的, 从…开始).
HANDOVER_BEFORE = re.compile(
    r"(?:请|有请|邀请|让|交给|轮到|我们请|听听|看看|问问|问一下|从|要不)$|(?:有请|邀请|欢迎)(?:来自)?[^，]{2,16}的$"
)

# A hand-over whose name the ASR lost (从老师开始).
NAMELESS_HANDOVER = re.compile(r"从(?:[^，。老]{0,3})?老师开始|请(?:这位|那位)?老师(?:先)?(?:来|谈|说)")

# An order given to the panel (按照刚才介绍的顺序), possibly reversed (我们再反过来).
ORDER_CUE = re.compile(r"按(?:照)?.{0,6}顺序|反过来|倒过来|倒序|反着来|换个顺序|轮流|依次")
REVERSE_CUE = re.compile(r"反过来|倒过来|倒序|反着")

# What follows 有请X老师 while the introduction goes on (给我们带来报告, 大家欢迎).
INTRO_GOES_ON = re.compile(
    r"^(?:给(?:我们|大家)|为(?:我们|大家)|带来|分享|做(?:一个)?报告|(?:大家|让我们)?(?:热烈)?(?:欢迎|鼓掌)|掌声)"
)

# The floor given to the whole panel (其他几位老师有没有补充), and a follow-up question (我想追问一下).
PANEL_INVITE = re.compile(
    r"(?:其他|别的|另外|线上|现场|在座)的?(?:几位|各位|两位|三位)?(?:老师|嘉宾)们?(?:有没有|有什么|还有什么|要不要|怎么看)|"
    r"(?:各位|几位)(?:老师|嘉宾)们?(?:怎么看|有什么(?:[^，]{0,4}的)?(?:看法|观点|想法)|有没有(?:什么)?补充)|大家怎么看"
)
FOLLOW_UP = re.compile(r"追(?:加)?问|再问(?:一下|一个)|接着(?:刚才的?|这个)?问")


# ----------------------------------------------------------------------- the end of a turn

# A speaker's closing words (这是我的看法, 我就说这么多, 谢谢大家).
CLOSING = re.compile(
    r"(这(?:就)?是我(?:的)?(?:一个|一点|一些|个人的?)?(?:粗浅的|简单的|不成熟的|初步的)?(?:看法|观点|想法|经验|理解|认识|思考|体会|观察)|我的.{0,6}(?:看法|观点)就是这些|不是结论|我就(?:这些|先说这些|说这么多|说到这|讲这么多|讲到这|补充这些)|"
    r"我先(?:说|讲)(?:这么多|到这)|(?:我)?说完了|^说完$|讲完了|我就说(?:这一点|这些|这么多|到这)|"
    r"就(?:说|讲)到这(?:里|儿)?|基本上就是.{0,12}(?:看法|观点)|以上是我的|以上就是|谢谢大家|我的(?:报告|分享|汇报|介绍)就到这|我的看法就是这样|大概(?:就)?是这样|我就先到这|抛砖引玉)"
)
THANKS_END = re.compile(r"^(?:对|好|嗯|是|行)*\s*谢谢(?:大家)?$")


# ----------------------------------------------------------------------- the moderator speaks

# Acknowledgements (好的明白), strong ones (非常感谢), and a comment on what was said (很有意思).
ACK = re.compile(r"^(?:好的|好|明白|对|嗯|OK|ok|行|谢谢|感谢|非常感谢|非常好|很好|是的|对对)+$")
STRONG_ACK = re.compile(
    r"^(?:好的明白|明白明白|明白|好的好的|好的谢谢|好谢谢|非常感谢|感谢|谢谢[^，]{0,6}(?:老师|分享|回答|各位|嘉宾|总|博士|专家))(?!的问题|的提问)"
    r"|^(?:好|好的)?[，, ]?谢谢(?:各位|[两三四五六几]位)|^(?:好|好的)?[，, ]?(?:非常)?感谢(?:[一二两三四五六几]位|各位)"
)
ACK_COMMENT = re.compile(
    r"(很有意思|很有启发|非常有意思|比较犀利|很精彩|非常精彩|很有道理|很好的观点|有意思的观点|很有启发性|都很有启发|也谢谢这个问题|谢谢(?:您的|这个)问题|好问题)"
)

# The moderator's business: time, the next question, the end of the session.
MODERATOR_META = re.compile(
    r"(时间(?:也)?差不多了|时间还有|时间有限|(?:由于|因为)?时间关系|(?:我们|圆桌|论坛|环节|讨论)(?:今天)?就到这里|再次感谢|圆桌(?:论坛)?就到这|还有(?:\d+|几|[一二三四五十]+)分钟|最后一?个?问题|时间(?:咱们|我们)?已经(?:过了|到了|超了)|(?:我们|那)的?第[一二三四五]个问题|下一个问题|我们(?:还)?准备了|今天的圆桌|线下(?:可以)?(?:交流|讨论))"
)

# How the moderator's new question opens (那…, 好…), and the moderator going on after thanks.
MODERATOR_LEAD = re.compile(r"(?:那|那么|好|好的|接下来|下面)(?!个)")
MODERATOR_GOES_ON = re.compile(
    r"^(?:(?:那|然后|接下来|下面|好|对)[，, ]?)*(?:我们|咱们|第[一二三四五六]|下一个|最后|今天|刚才|刚刚)"
)

# The moderator agreeing with a panelist's `是吧？` (对对是的).
CONFIRMATION = re.compile(r"^(?:对|是的|没错|对的)+$")

# The moderator thanks someone by name: a new moderator turn, and the turn before was theirs.
THANKS_LEAD = r"^(?:(?:好|好的|对|是的|嗯|行|OK|ok)[ ，,]*)*(?:谢谢|感谢|多谢|非常感谢)(?:谢谢)? ?"
THANKS_NAME = re.compile(THANKS_LEAD)
THANKS_TITLE = re.compile(THANKS_LEAD + r"(?:[^，]{0,3}(?:老师|总|博士|教授)|(?:各位|[两三四五六几]位)[^，]{0,6})$")


# ----------------------------------------------------------------------- a panelist takes the floor

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

# After thanks, a first-person opening is the next panelist, unless the moderator goes on.
SELF_OPENING = re.compile(r"^(?:(?:对|好|嗯|是|是的|那|行)[，, ]?)*(?:我(?!们|想(?:再)?(?:问|请|追)|再问|插)|其实)")

# Asking for the floor (我可以说两句吗) and getting it (可以).
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


# ----------------------------------------------------------------------- questions and answers

# 您觉得…会不会…: a question put to someone, whatever the ASR marked at its end
ASKED = re.compile(
    r"^(?:那)?(?:您|你)(?:觉得|认为|看)[^，]*(?:会不会|是不是|能不能|有没有|要不要|可不可以|什么|怎么|多少|哪)"
)

# How a question ends, whatever mark the ASR put after it.
QUESTION_END = re.compile(r"(吗|呢|是吧|对吧|对不对|是不是|有没有|怎么看|什么样|为什么|怎么样|哪)$")

# A question put to the guests (你怎么看, 请两位发表你们的看法), and how an answer starts.
PUT_TO_PANEL = re.compile(
    r"(?:你们|两位|各位|几位|您|你)(?:的)?(?:看法|观点|怎么看|觉得|认为|发表|谈谈|说说|分享)|(?:请|想请|问问)(?:两位|各位|几位|您|你)"
)
ANSWER_LEAD = re.compile(r"^(?:好的|好|对|嗯|是的|我觉得|其实|我认为|这个问题|简单(?:的)?(?:说|讲)|我同意)")

# The moderator turns to the panel with a new question, thanks or no thanks (你们认为…, 我想问两位…,
# 最后一个问题); the answer follows the question.
PANEL_QUESTION = re.compile(
    r"(?:你们|两位|各位|几位)[^，]{0,6}(?:觉得|认为|怎么看|看法|观点)|"
    r"(?:想|再)(?:问|请问|确认)(?:一下)?(?:跟|向)?(?:两位|各位|几位|你们|大家)|(?:最后|下一个|第[二三四五六七八九])一?个?问题"
)

# The first words of an answer after a question.
ANSWER_OPENING = re.compile(
    r"^(?:对|是的|对是的|对对|嗯|没有|不是|对我觉得|其实|我觉得|我总觉得|我理解|这个问题|这是一个|我(?:来)?回答|那我回答|对那我)"
)


# ----------------------------------------------------------------------- the audience

# The moderator inviting questions, and the mic passed on (话筒, 那位, 请讲).
AUDIENCE_INVITE = re.compile(
    r"((?:那位|这位|那边|这边|后面|前面)(?:那位|这位)*(?:的)?(?:同学|朋友|观众)|有没有(?:什么|人)?(?:问题|想问)|大家有(?:什么)?问题|现场(?:的)?(?:观众|听众|朋友)|递(?:个|一下)?话筒|听众们|观众们|提问环节|(?:还有没有|有没有)什么.{0,6}(?:问题|想讨论))"
)
MIC = re.compile(
    r"(话筒|麦克风|递|那位|这位|^这边$|^那边$|后面那|前面那|^哦|有一个|好好好|请讲|您请|我来递|举(?:手|着|得)|^说吧$)"
)

# An asker's first words (各位老师好, 我想问一下), greeting, and the end of the question.
AUDIENCE_START = re.compile(
    r"(^各位老师好|^(?:各位)?老师(?:们)?(?:好|您好)|^(?:嘉宾|专家)们?好|我想(?:请)?问(?:一下)?|我(?:实际上|这边)?有(?:一|两|几)?个问题|想请教|^请问|我的问题是|^你好我)"
)
AUDIENCE_GREETING = re.compile(r"^(?:各位)?老师(?:们)?(?:好|您好)|^各位老师好|^(?:嘉宾|专家)们?好")
AUDIENCE_END = re.compile(r"(简单回答一下|回答一下就行|这是第一个问题|就这个问题|谢谢$|这是我的问题|我的问题就是这个)")

# A panelist's answer to an asker: how it opens (这个问题很好), strongly enough to need no pause
# before it (好问题); the answer after the asker restates the question; another panelist chiming in.
ANSWER_START = re.compile(
    r"^(?:其实我也不是|我(?:也)?不是(?:这个|这方面|相关)|我(?:总)?觉得这(?:是|个问题)|我理解(?:您|你)|这个问题我|我(?:来|先)?回答|对那我回答|那我回答|我简单回答|我试着回答|"
    r"谢谢(?:您的|你的|这位)?(?:老师的|同学的)?问题|好问题|(?:好)?这个问题(?:非常|很|特别)好|这是(?:一)?个.{0,3}好的?问题|"
    r"(?:对|是的)[，, ]?(?:就是|我|其实))"
)
STRONG_ANSWER = re.compile(
    r"^(?:其实我也不是|我(?:总)?觉得这是一个|我理解(?:您|你)的|这个问题我|(?:对)?那我回答|我(?:来|先)回答|好问题|(?:好)?这个问题(?:非常|很|特别)好)"
)
RESTATED_ANSWER = re.compile(r"^(?:其实|我觉得|我理解|这个问题|对于这个问题|关于这个)")
ANOTHER_VOICE = re.compile(r"^(?:我(?:就)?(?:多|再)说一句|我(?:来)?补充|我(?:就)?简单插|我也(?:说|谈|讲)|我也回答)")

# The exchange after an answer: the moderator asking the asker (您能再重复一下), the asker
# confirming (就是…是吧？), the short answer (对是的) and the asker going on.
ASKER_REQUEST = re.compile(
    r"^(?:感谢您|谢谢您)?[，,]?(?:您能(?:不能)?(?:再)?|您(?:用)?一句话|您(?:再)?(?:重复|总结|说一下|简单说)|能不能请您)"
)
CONFIRM_TAG = re.compile(r"(?:是吧|对吧)$")
CONFIRM_START = re.compile(r"^(?:就是|也就是说|那就是|所以说|这是因为|那是不是|所以)")
SHORT_ANSWER = re.compile(r"^(?:对|是的|对是的|对对|对我觉得是的|没错|没有|不是|是)+$|^对(?:那)?我(?:觉得|回答)")
ASKER_CONTINUES = re.compile(r"^(?:好的|谢谢|就是|还有一个问题|那|但是|明白)")


# ----------------------------------------------------------------------- is it a panel?

# A title that says several people speak.
PANEL_TITLE = re.compile(r"圆桌|对话|对谈|访谈|座谈|panel|roundtable|round table|fireside|QA|Q&A|问答", re.I)
