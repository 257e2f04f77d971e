"""Notifications: the kinds others send, the texts they render to (Chinese and English), mail rules.

The texts live here in both languages, like the role names: the console picks the reader's language, a mail
carries the Chinese with the English below it, and both say the same thing. A kind renders from the params its
sender stored; an unknown kind, or params that do not fit the text, render generically and never raise.
"""

import datetime
import re
from dataclasses import dataclass

from appliance.domain.access import AccessScope
from appliance.domain.catalogue import AccessLabel
from appliance.domain.errors import DanganError, InvalidInputError

MAX_KIND = 40
MAX_LINK = 300
MAX_VALUE = 200  # one param as shown: a title is cut here, a mail never carries more of a record than this
MAX_MAIL_ATTEMPTS = 5
# A failed mail is tried again this long after the notification was made, by the number of attempts so far.
RETRY_AFTER = tuple(datetime.timedelta(minutes=minutes) for minutes in (0, 1, 5, 30, 120))


class MailError(DanganError):
    """A mail could not be handed to the SMTP server (refused, unreachable, timed out)."""

    code = "mail"


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def in_language(self, language: str) -> str:
        return self.en if language.startswith("en") else self.zh


# kind -> text; the params each kind expects are named in its text (see `values` for the computed ones):
#   request.*: request (id), kind (archiving...), item + title (the first item), count; advanced: tier, next;
#   rejected: reason. grant.ended: item, until. loan.*: item (or items, a list), due; discrepancy: note.
#   destruction.*: list (the list's number). backup.failed: error. Times as ISO 8601 text.
TEXTS: dict[str, Text] = {
    "request.waiting": Text("{kind}申请第 {request} 号等待您审批：{items}",
                            "{kind} request {request} waits for your decision: {items}"),
    "request.advanced": Text("您的{kind}申请第 {request} 号已通过“{tier}”，正等待“{next}”审批",
                             "Your {kind} request {request} passed “{tier}” and now waits for “{next}”"),
    "request.approved": Text("您的{kind}申请第 {request} 号已批准：{items}",
                             "Your {kind} request {request} was approved: {items}"),
    "request.rejected": Text("您的{kind}申请第 {request} 号被驳回，理由：{reason}",
                             "Your {kind} request {request} was rejected: {reason}"),
    "grant.ended": Text("您对 {item} 的查阅授权已于 {until} 到期结束",
                        "Your leave to view {item} ended {until}"),
    "loan.issued": Text("纸质档案 {item} 已借出给您，应于 {due} 前归还",
                        "The paper file {item} is lent to you until {due}"),
    "loan.due_soon": Text("纸质档案 {item} 应于 {due} 归还", "The paper file {item} is due back {due}"),
    "loan.overdue": Text("纸质档案 {item} 已于 {due} 到期，尚未归还",
                         "The paper file {item} was due back {due} and is not returned yet"),
    "loan.renewed": Text("纸质档案 {item} 的借期已续至 {due}",
                         "The loan of the paper file {item} runs until {due} now"),
    "loan.return_discrepancy": Text("纸质档案 {item} 归还时发现问题：{note}",
                                    "The paper file {item} came back with a discrepancy: {note}"),
    "destruction.approved": Text("销毁清册 {list} 已批准，请您监销",
                                 "Destruction list {list} is approved: please witness the destruction"),
    "destruction.executed": Text("销毁清册 {list} 已执行销毁", "Destruction list {list} was carried out"),
    "fixity.failed": Text("存储校验发现 {failed} 个文件损坏或缺失：{error}",
                          "The fixity check found {failed} damaged or missing blobs: {error}"),
    "backup.failed": Text("备份失败：{error}", "The backup failed: {error}"),
}
GENERIC = Text("通知：{kind}", "Notice: {kind}")
REQUEST_KIND_NAMES = {"archiving": Text("归档", "Archiving"), "correction": Text("更正", "Correction"),
                      "borrowing": Text("利用", "Borrowing"), "destruction": Text("销毁", "Destruction")}
MORE_ITEMS = Text("等 {count} 件", "and {others} more")
MAIL_SUBJECT_PREFIX = "[档案] "
MAIL_FOOTER = Text("此邮件由档案系统自动发送，请勿回复。", "Sent by the Dangan archive; please do not reply.")


def render(kind: str, params: dict, language: str = "zh") -> str:
    """The notification as one line in `language` ("zh" or "en"); never raises."""
    text = TEXTS.get(kind)
    if text is not None:
        try:
            return text.in_language(language).format_map(values(params, language))
        except (KeyError, IndexError, ValueError, AttributeError):
            pass  # params that do not fit the text (an older or a mistaken sender): say what it is, generically
    return GENERIC.in_language(language).format(kind=_shown(kind))


def values(params: dict, language: str) -> dict[str, str]:
    """Params as the texts show them: a request's kind named, times shortened, `items` made of the first item."""
    shown = {str(key): _shown(value) for key, value in (params or {}).items()}
    if "kind" in shown:
        names = REQUEST_KIND_NAMES.get(shown["kind"])
        shown["kind"] = names.in_language(language) if names else shown["kind"]
    if "item" not in shown and "items" in shown:
        shown["item"] = shown["items"]  # several items named by the sender: all of them where one is expected
    if "item" in shown and "items" not in shown:
        shown["items"] = " ".join(part for part in (shown["item"], shown.get("title", "")) if part)
        count = params.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count > 1:
            more = MORE_ITEMS.in_language(language).format(count=count, others=count - 1)
            shown["items"] += " " + more
    return shown


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(part) for part in value)
    text = " ".join(str(value).split())  # no line breaks: a text is one line, a subject a header
    text = _short_time(text)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _short_time(text: str) -> str:
    if len(text) < 16 or "T" not in text:
        return text
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def mail_message(kind: str, params: dict, link_url: str = "") -> tuple[str, str]:
    """Subject and body of the mail for a notification: Chinese, then English; a link to the console if known."""
    chinese, english = render(kind, params, "zh"), render(kind, params, "en")
    link = f"\n{link_url}" if link_url else ""
    body = f"{chinese}{link}\n\n{english}{link}\n\n-- \n{MAIL_FOOTER.zh}\n{MAIL_FOOTER.en}\n"
    return MAIL_SUBJECT_PREFIX + chinese, body


def retry_due(created_at: datetime.datetime, attempts: int, now: datetime.datetime) -> bool:
    """Whether a pending mail with `attempts` failures so far is to be tried at `now`."""
    if attempts >= MAX_MAIL_ATTEMPTS:
        return False
    return now >= created_at + RETRY_AFTER[attempts]


def check_kind(kind: str) -> str:
    """A notification kind as stored; raises InvalidInputError for an empty or overlong one."""
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND:
        raise InvalidInputError(f"a notification kind is 1 to {MAX_KIND} characters")
    return kind


def safe_link(link: str) -> str:
    """A link into the console (a path on this box), or "" for anything else: a notice never sends people away."""
    if not isinstance(link, str) or len(link) > MAX_LINK or not link.startswith("/") or link.startswith("//"):
        return ""
    if "\\" in link or any(character.isspace() or ord(character) < 32 for character in link):
        return ""
    return link


_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
MAX_ADDRESS = 254


def check_mail_address(text: str) -> str:
    """A person's mail address as stored ("" for none); raises InvalidInputError for anything not an address.

    Plain ASCII addresses only: every SMTP server takes them, and nothing can smuggle a header line in.
    """
    address = (text or "").strip()
    if not address:
        return ""
    local, at, domain = address.rpartition("@")
    if (len(address) > MAX_ADDRESS or not at or len(local) > 64 or not _LOCAL_PART.fullmatch(local)
            or not _DOMAIN.fullmatch(domain)):
        raise InvalidInputError(f"{address[:80]!r} is not a mail address such as name@example.cn")
    return f"{local}@{domain.lower()}"


def scope_sees_classes(scope: AccessScope, classes) -> bool:
    """Whether `scope` sees items of every (access label, department) pair in `classes` (department "" or None:
    the whole fonds). The same rule as AccessScope.can_see, for classes counted in one query, not items."""
    for label, department in classes:
        if AccessLabel(label) not in scope.labels:
            return False
        if scope.departments is not None and department and department not in scope.departments:
            return False
    return True


@dataclass(frozen=True)
class Notification:
    id: int
    username: str
    kind: str
    params: dict
    link: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None
    mail_state: str = "none"

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True)
class OutgoingMail:
    """A pending mail as the sender needs it."""

    id: int
    address: str
    kind: str
    params: dict
    link: str
    created_at: datetime.datetime
    attempts: int


@dataclass(frozen=True)
class Counts:
    unread: int  # notifications not read yet
    awaiting: int  # requests waiting for this person's decision
