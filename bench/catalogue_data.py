"""A synthetic catalogue for the benchmark: one fonds, 20 years × 3 retentions × 10 departments.

Rows are made from a seeded random generator, so every run files the same items under the same codes.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from appliance.adapters.tables import write_csv, write_xlsx
from appliance.domain.catalogue_table import COLUMNS
from appliance.domain.codes import ArchivalCode

HEADER = list(COLUMNS)  # 序号,档号,文号,责任者,题名,日期,密级,页数,备注
CATEGORY = "WS"
RETENTIONS = ("Y", "D30", "D10")
# code: (name, 文号 prefix)
DEPARTMENTS = {
    "BGS": ("办公室", "办发"),
    "RSC": ("人事处", "人发"),
    "CWC": ("财务处", "财发"),
    "ZHK": ("综合科", "综发"),
    "DAS": ("档案室", "档发"),
    "XXZ": ("信息中心", "信发"),
    "FGC": ("法规处", "法发"),
    "HQF": ("后勤服务中心", "后发"),
    "XCC": ("宣传处", "宣发"),
    "SJC": ("审计处", "审发"),
}
ACCESS_LABELS = ("公开", "内部", "内部", "受控")
SUBJECTS = (
    "安全生产", "档案数字化", "财务预算", "人员招聘", "干部教育培训", "信息化建设", "节能减排", "固定资产清查",
    "办公用房调整", "突发事件应急管理", "保密工作", "政务公开", "绩效考核", "政府采购", "质量管理体系",
    "网络安全", "党风廉政建设", "科技创新", "社会保险缴纳", "公务车辆管理", "防汛抗旱", "优化营商环境",
    "文明单位创建", "安全隐患排查", "内部审计", "合同管理", "档案移交进馆", "信访维稳", "统计数据质量",
)
ACTIONS = (
    "实施方案", "工作总结", "检查情况", "专项整治", "考核结果", "调整意见", "管理办法", "年度计划",
    "自查报告", "落实情况", "工作要点", "督查情况",
)
DOCUMENT_TYPES = ("通知", "报告", "请示", "批复", "决定", "意见", "函", "会议纪要", "通报", "公告")
SUPERIORS = ("省人民政府办公厅", "市人民政府", "省档案局", "市财政局", "国家档案局", "市委组织部")
TITLE_PATTERNS = (
    "关于{department}{year}年度{subject}{action}的{kind}",
    "关于印发《{department}{subject}{action}》的{kind}",
    "{department}关于做好{subject}有关事项的{kind}",
    "关于转发{superior}《关于进一步加强{subject}工作的意见》的{kind}",
    "关于{year}年{month}月{subject}{action}的{kind}",
    "{department}关于报送{year}年{subject}{action}的{kind}",
)


@dataclass(frozen=True)
class CatalogueShape:
    """Which classes a fonds holds and how many items each: the first `extra` classes hold one more."""

    fonds: str
    first_year: int
    years: int
    items: int

    @cached_property
    def classes(self) -> list[tuple[int, str, str]]:
        years = range(self.first_year, self.first_year + self.years)
        return [(year, retention, department)
                for year in years for retention in RETENTIONS for department in DEPARTMENTS]

    def items_in(self, class_index: int) -> int:
        base, extra = divmod(self.items, len(self.classes))
        return base + (class_index < extra)

    def code(self, class_index: int, number: int) -> ArchivalCode:
        year, retention, department = self.classes[class_index]
        return ArchivalCode(self.fonds, CATEGORY, year, retention, department, number)

    def random_code(self, chooser: random.Random) -> ArchivalCode:
        class_index = chooser.randrange(len(self.classes))
        return self.code(class_index, chooser.randint(1, self.items_in(class_index)))

    def random_code_in(self, year: int, retention: str, chooser: random.Random) -> ArchivalCode:
        """A random item of one year and retention, in any department."""
        first = ((year - self.first_year) * len(RETENTIONS) + RETENTIONS.index(retention)) * len(DEPARTMENTS)
        class_index = first + chooser.randrange(len(DEPARTMENTS))
        return self.code(class_index, chooser.randint(1, self.items_in(class_index)))


def catalogue_rows(shape: CatalogueShape, seed: int = 2011) -> Iterator[list]:
    """Every row of the fonds' catalogue in code order, as the 2015 columns."""
    chooser = random.Random(seed)
    serial = 0
    for class_index, (year, _retention, department) in enumerate(shape.classes):
        for number in range(1, shape.items_in(class_index) + 1):
            serial += 1
            code = shape.code(class_index, number).format()
            yield _row(chooser, serial, code, year, department, number)


def _row(chooser: random.Random, serial: int, code: str, year: int, department: str, number: int) -> list:
    name, prefix = DEPARTMENTS[department]
    month, day = chooser.randint(1, 12), chooser.randint(1, 28)
    title = chooser.choice(TITLE_PATTERNS).format(
        department=name, year=year, month=month, subject=chooser.choice(SUBJECTS),
        action=chooser.choice(ACTIONS), kind=chooser.choice(DOCUMENT_TYPES), superior=chooser.choice(SUPERIORS),
    )
    document_number = f"Z{prefix}〔{year}〕{number}号"
    notes = "复印件" if chooser.random() < 0.02 else ""
    date = f"{year}{month:02d}{day:02d}"
    return [serial, code, document_number, name, title, date, chooser.choice(ACCESS_LABELS),
            chooser.randint(1, 60), notes]


def write_catalogue_csv(path: Path, shape: CatalogueShape) -> int:
    return write_csv(path, HEADER, catalogue_rows(shape))


def write_catalogue_xlsx(path: Path, shape: CatalogueShape) -> int:
    """Written with openpyxl's write-only workbook, as Excel users' files are: numbers as numbers."""
    return write_xlsx(path, HEADER, catalogue_rows(shape))
