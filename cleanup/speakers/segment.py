"""Turns of a panel: candidate turn starts scored from the cues, the chosen ones, their labels.

The moderator's turn before each hand-over starts at the best-scored closing/acknowledgement
once all other turns are known. The strongest candidates become turns; a left-to-right pass
labels them from the roster (names as addressed, sound-alike surnames merged, the talk
overlay's `speakers:` section) and the panel order, learned from the first round; when the
panel is known beforehand (overlay, title), an unnamed guest is the one heard least lately.
Panelists the cues cannot name are matched to named ones by speaking style when the match is
clear, and flagged; those left, when the text names the panel (two names said twice or more), go to the
panelist heard least lately (never the one the answer names) — outside the Q&A, where anyone
may answer an asker, and except a placeholder the panel order brings back. A text without
two independent signs of several speakers is a talk: no turns here.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass

from cleanup.speakers.clauses import MARKS, WS, Clause, Turn, merge_turns
from cleanup.speakers.cues import (
    ACK,
    ACK_COMMENT,
    ANOTHER_VOICE,
    ANSWER_LEAD,
    ANSWER_OPENING,
    ANSWER_START,
    ASKER_CONTINUES,
    ASKER_REQUEST,
    AUDIENCE_END,
    AUDIENCE_GREETING,
    AUDIENCE_INVITE,
    AUDIENCE_START,
    CLOSING,
    CONFIRM_START,
    CONFIRM_TAG,
    CONFIRMATION,
    FOLLOW_UP,
    HEARD,
    HEARING_CHECK,
    INTRO_GOES_ON,
    MIC,
    MODERATOR_GOES_ON,
    MODERATOR_LEAD,
    MODERATOR_META,
    OPENING,
    ORDER_CUE,
    PANEL_INVITE,
    PANEL_QUESTION,
    PANEL_TITLE,
    PERMISSION,
    PUT_TO_PANEL,
    RESTATED_ANSWER,
    REVERSE_CUE,
    SELF_OPENING,
    SHORT_ANSWER,
    SPEAK_REQUEST,
    STRONG_ACK,
    STRONG_ANSWER,
    TAKING_FLOOR,
    THANKS_END,
    THANKS_NAME,
    THANKS_TITLE,
    YES_HEARD,
)
from cleanup.speakers.roster import (
    AUDIENCE,
    GUEST,
    build_roster,
    handover,
    self_intro,
    speakers_section,
    title_people,
)

ACCEPT = 1.5  # a candidate turn start needs at least this score
TENTATIVE = 1.2  # an opening this strong starts the next panelist of an announced round
STYLE_MARGIN = 3.0  # nats per 100 characters by which the best style match must win (~95% right when held out)

# Turns whose speaker was named when given the floor: thanks do not rename them.
NAMED_RULES = {"turn:handover-name", "turn:handover-bare-name", "turn:self-introduction", "turn:answer-to-named"}


@dataclass
class Candidate:
    clause: int
    score: float
    hint: str  # moderator | named | order | panelist | resume | audience | answer
    rule: str
    note: str
    name: str = ""  # the label for hint "named"
    group: int = -1  # candidates proposed by one cue (a hand-over: the moderator and the named)


class _Segmenter:
    """Candidate turn starts from cues, the chosen turns, and their labels."""

    def __init__(self, clauses: list[Clause], overlay: dict, title: str = "", is_word=None) -> None:
        self.clauses = clauses
        self.texts = [c.text for c in clauses]
        self.n = len(clauses)
        self.roster = build_roster(clauses, overlay, title, is_word)
        self.cands: list[Candidate] = []
        self.handovers: dict[int, tuple] = {}
        self.anchors: list[int] = []
        self.pending: list[tuple[int, float, str, int]] = []
        self.thanked_by: dict[int, str] = {}  # clause -> the panelist the moderator thanks there
        self.recalled: set[str] = set()  # placeholders the panel order brings back: someone unnamed
        self.order_labels: set[str] = set()  # the panel order `label` followed, once it has run
        for i, t in enumerate(self.texts):
            found = handover(t, self.texts[i + 1] if i + 1 < self.n else "", clauses[i].question, self.names(t))
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
            if name := self_intro(t):
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
            opening = bool(OPENING.match(t) or TAKING_FLOOR.match(t)) and not self_intro(t)
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
        if s == i and i > 0:  # 刚才陈老师提到推理。我想追问一下: the name ends the sentence before
            s = self.sentence_start(i - 1, max(0, i - 4))
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
        return merge_turns([by_clause[k] for k in sorted(by_clause)])

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
        turns = merge_turns(turns)  # the thanks may be a moderator turn's second clause
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
        return merge_turns(turns)

    def attribute_guests(self, turns: list[Turn]) -> list[Turn]:
        """Panelists the cues could not name (`我多说一句` in the Q&A) are matched, by style, to
        the panelists the text did name: character 1–3-gram naive Bayes over each panelist's
        turns. Spoken verbal habits (`对不对`, `所以从这个角度来讲`, `这个这个`) are strong
        fingerprints. Only a clear winner is taken, never someone the turn names in the third
        person or the speaker it follows; the turn keeps a low confidence so the editor checks it.
        """
        mod = self.roster.moderator
        known = self.order_labels
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
        return merge_turns(turns)

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
        return merge_turns(turns)

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


def panel_evidence(seg: _Segmenter, title: str) -> tuple[float, float]:
    """(from the text, from the title): how sure we are that several people speak."""
    texts = seg.texts
    named = {seg.roster.label(h[2], h[3]) for h in seg.handovers.values() if h[2] and h[0] != "turn:handover-bare-name"}
    score = float(len(named))
    score += any(h[0] == "turn:handover-order" and not h[2] for h in seg.handovers.values())
    score += max(0, len({n for t in texts if (n := self_intro(t))}) - 1)  # one is a keynote's opening
    score += any(re.search(r"谢谢主持人|感谢主持人|主持人的问题", t) for t in texts[8:])
    score += any(seg.order_cue(i) for i in range(seg.n))
    score += any(AUDIENCE_INVITE.search(t) for t in texts) and any(AUDIENCE_START.search(t) for t in texts)
    title_score = 2.0 if PANEL_TITLE.search(title) or len(title_people(title)) >= 2 else 1.0 if "讨论" in title else 0.0
    return score, title_score


def segment(clauses: list[Clause], overlay: dict, title: str = "", is_word=None) -> list[Turn]:
    """Turns of a panel, or [] when the text gives no sign of more than one speaker.

    A panel needs two independent signs in the text (two names handed the floor, two
    self-introductions, a hand-over and a Q&A…), or one plus a title that says so (圆桌).
    """
    seg = _Segmenter(clauses, overlay, title, is_word)
    text_score, title_score = panel_evidence(seg, title)
    if not speakers_section(overlay).get("panel") and text_score < 2 and not (text_score >= 1 and title_score >= 2):
        return []
    seg.propose()
    turns = seg.to_panel(seg.attribute_guests(seg.exchange(seg.thanked(seg.label(seg.choose())))))
    return turns if len({t.label for t in turns}) > 1 else []
