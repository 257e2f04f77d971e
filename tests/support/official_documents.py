"""A generator of Chinese official documents (公文) with known filing: department, retention, 文号, date, title.

Each department has its own subject vocabulary, but documents borrow words from other departments and share the
boilerplate every 公文 has; most 文号 are the institution's own (`Z政办发`), not the department's; retention follows
the document type only by probability; and a few documents are filed by another department (label noise). So a
model learns something real, and cannot reach 100%.
"""

import random
from dataclasses import dataclass

DEPARTMENTS = {
    "BGS": ("办公室", "办", "会议 公文 督查 值班 接待 保密 信息报送 机要 印章 政务公开 会务 文稿 督办 应急值守"),
    "RSC": ("人事处", "人", "招聘 考核 职称 任免 工资 社保 编制 干部 退休 人才 岗位 聘用 绩效 档案工资"),
    "CWC": ("财务处", "财", "预算 决算 资金 报销 审计 经费 采购 资产 会计 票据 收费 专项资金 结余 国库"),
    "JJC": ("基建处", "建", "工程 施工 招标 验收 维修 建设 监理 造价 设计 竣工 改造 图纸 承包 质量安全"),
    "XCB": ("宣传部", "宣", "宣传 新闻 舆情 媒体 文化 网站 宣讲 报道 思想 文明创建 志愿服务 理论学习 通讯员"),
    "BWC": ("保卫处", "保", "消防 治安 巡查 监控 防汛 演练 隐患 门禁 反恐 交通安全 安保 火灾 值守 排查"),
    "JWC": ("教务处", "教", "课程 教学 考试 学籍 教材 实习 毕业 排课 成绩 教研 招生 学分 课堂 教师培训"),
}
SHARED_TEXT = "管理 制度 规范 检查 服务 安全 培训 改进 统筹 保障 协调 推动 监督 考评 台账 资料"
SHARED_WORDS = SHARED_TEXT.split()
TYPES = {  # document type: (weights of Y, D30, D10)
    "决定": (0.7, 0.25, 0.05), "批复": (0.5, 0.4, 0.1), "请示": (0.35, 0.5, 0.15), "报告": (0.2, 0.55, 0.25),
    "通知": (0.1, 0.4, 0.5), "函": (0.05, 0.3, 0.65), "会议纪要": (0.5, 0.4, 0.1), "通报": (0.1, 0.4, 0.5),
}
TYPE_MARKS = {"决定": "发", "批复": "复", "请示": "请", "报告": "报", "通知": "发", "函": "函", "会议纪要": "纪",
              "通报": "通"}
RETENTIONS = ("Y", "D30", "D10")
LASTING_TEXT = "任免 工资 编制 决算 审计 竣工 验收 学籍 毕业 招生 干部 资产 设计 图纸"
LASTING_WORDS = frozenset(LASTING_TEXT.split())  # subjects kept longer
VERBS_TEXT = "加强 做好 规范 开展 推进 调整 组织 落实 完善 部署"
VERBS = VERBS_TEXT.split()
SENTENCES = ("为进一步{verb}{a}工作，结合{b}实际，现就有关事项{type}如下。",
             "各单位要高度重视{a}和{b}，明确责任，确保{c}落到实处。",
             "{a}工作由{organ}牵头，{b}相关单位配合，做好{c}。", "请于本月底前将{a}情况及{b}材料报{organ}。",
             "经研究，同意{a}，{b}按规定办理，{c}所需{d}从相关经费中列支。",
             "近期{a}中发现{b}问题，各单位要举一反三，加强{c}。")
CHINESE_DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class OfficialDocument:
    title: str
    text: str  # as OCR would give it: header, title, body, signature, date
    department: str
    retention: str
    doc_type: str
    doc_number: str
    date: str
    responsible: str


def generate_documents(count: int, seed: int = 8, noise: float = 0.06) -> list[OfficialDocument]:
    """`count` documents, the same for the same seed."""
    chooser = random.Random(seed)
    return [_document(chooser, noise) for _ in range(count)]


def _document(chooser: random.Random, noise: float) -> OfficialDocument:
    department = chooser.choice(list(DEPARTMENTS))
    doc_type = chooser.choice(list(TYPES))
    organ, mark, _ = DEPARTMENTS[department]
    words = _words(chooser, department)
    weights = TYPES[doc_type]
    if LASTING_WORDS & set(words[:2]):  # the subject of the title: a 任免 or 决算 is kept for good more often
        weights = (weights[0] + 0.5, weights[1], weights[2] / 2)
    retention = chooser.choices(RETENTIONS, weights=weights)[0]
    year, month, day = chooser.randint(2005, 2024), chooser.randint(1, 12), chooser.randint(1, 28)
    own_number = chooser.random() < 0.4  # most documents go out under the institution's number, not the department's
    prefix = f"Z{mark}" if own_number else "Z政办"
    doc_number = f"{prefix}{TYPE_MARKS[doc_type]}〔{year}〕{chooser.randint(1, 150)}号"
    responsible = f"Z市{organ}" if own_number else "Z市人民政府办公室"
    title = f"关于{chooser.choice(VERBS)}{words[0]}{words[1]}的{doc_type}"
    body = [sentence.format(verb=chooser.choice(VERBS), a=chooser.choice(words), b=chooser.choice(words),
                            c=chooser.choice(words), d=chooser.choice(words), organ=organ, type=doc_type[:2])
            for sentence in chooser.sample(SENTENCES, k=chooser.randint(3, len(SENTENCES)))]
    date_line = _chinese_date(year, month, day) if chooser.random() < 0.5 else f"{year}年{month}月{day}日"
    text = "\n".join([f"{responsible}文件", doc_number, title, "各有关单位：", *body, responsible, date_line])
    filed_department = chooser.choice(list(DEPARTMENTS)) if chooser.random() < noise else department
    return OfficialDocument(title, text, filed_department, retention, doc_type, doc_number,
                            f"{year}{month:02d}{day:02d}", responsible)


def _words(chooser: random.Random, department: str) -> list[str]:
    """Subject words: mostly the department's own, some borrowed from another department, some shared."""
    own = DEPARTMENTS[department][2].split()
    other = DEPARTMENTS[chooser.choice([code for code in DEPARTMENTS if code != department])][2].split()
    words = (chooser.sample(own, k=4) + chooser.sample(other, k=chooser.randint(1, 3))
             + chooser.sample(SHARED_WORDS, k=3))
    return words


def _chinese_date(year: int, month: int, day: int) -> str:
    return "".join(CHINESE_DIGITS[int(digit)] for digit in str(year)) + f"年{_small(month)}月{_small(day)}日"


def _small(number: int) -> str:
    tens, ones = divmod(number, 10)
    return (("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" if tens else "") + (CHINESE_DIGITS[ones] if ones else "")


def archive_documents(appliance, fonds_code: str, documents: list[OfficialDocument], first_number: int = 1) -> None:
    """Put documents in the catalogue as archived items of `fonds_code` (title, 文号, department, retention) in one
    statement: the filing model reads them as it reads a real archive. Their departments need not exist."""
    from sqlalchemy import insert, select

    from appliance.adapters.db.tables import FondsRow, ItemRow
    from appliance.domain.codes import ArchivalCode

    with appliance.uow_factory() as uow:
        fonds_id = uow.session.scalar(select(FondsRow.id).where(FondsRow.code == fonds_code))
        rows = []
        for number, document in enumerate(documents, start=first_number):
            year = int(document.date[:4])
            code = ArchivalCode(fonds_code, "WS", year, document.retention, document.department, number)
            rows.append({"fonds_id": fonds_id, "category": "WS", "year": year, "retention": document.retention,
                         "department": document.department, "item_number": number, "archival_code": code.format(),
                         "doc_number": document.doc_number, "responsible": document.responsible,
                         "title": document.title, "date": document.date, "access_label": "内部", "pages": 0,
                         "notes": "", "state": "archived"})
        uow.session.execute(insert(ItemRow), rows)
        uow.commit()


def intake_document_with_text(appliance, text: str, seed: int = 1) -> int:
    """A document delivered without a cover sheet (so it waits in the intake queue) whose one page has `text` as
    its OCR text; returns its id."""
    from appliance.domain.actors import Actor
    from appliance.domain.jobs import Job
    from appliance.services.derivatives import store_page_text
    from appliance.services.intake import receive_document
    from tests.support.intake_documents import delivered, streams

    manifest, pages = delivered(None, [seed], sequence=seed)
    receipt = receive_document(appliance.uow_factory, appliance.blob_store, Actor("agent", "127.0.0.1"), manifest,
                               streams(pages))
    page = manifest.pages[0].sha256
    store_page_text(appliance.uow_factory, appliance.blob_store, Job(0, "ocr-page", {"sha256": page}, 1), "test/1",
                    text, b"%PDF-1.4 test")
    return receipt.document_id
