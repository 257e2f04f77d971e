"""What a report figure is: named rows of numbers, with the Chinese names the xlsx and PDF exports print (they are
in Chinese whatever the reader's language, as the authorities' forms are)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One bar, point or line of a table: its key, what it is called, its numbers and any words beside them."""

    key: str
    label: str
    values: tuple[int | float, ...]
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A series: `columns` name what each value counts; `charted` of them (from the first; None: all) are drawn.

    `chart` is bar, stacked, line or table. `withheld` says the reader's view is narrowed so the figure, which is
    about the whole box, is not shown to them.
    """

    name: str
    chart: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    detail_columns: tuple[str, ...] = ()
    charted: int | None = None
    withheld: bool = False

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    @property
    def column_titles(self) -> list[str]:
        return [COLUMN_NAMES.get(column, column) for column in (*self.detail_columns, *self.columns)]

    @property
    def has_total(self) -> bool:
        """Whether a sum of each column means something (not of running totals, durations or a summary)."""
        return self.chart != "table" and self.name not in NO_TOTALS

    def totals(self) -> tuple[int | float, ...]:
        """Column sums (for the tables' last line)."""
        return tuple(round(sum(row.values[index] for row in self.rows), 2) for index in range(len(self.columns)))


NO_TOTALS = {"storage-growth", "backup-history", "annual-appraisal"}  # running totals, durations, mixed kinds
TITLES = {
    "holdings-year": "馆藏（按年度）", "holdings-category": "馆藏（按门类）",
    "holdings-retention": "馆藏（按保管期限）",
    "holdings-department": "馆藏（按机构）", "intake-daily": "每日接收与OCR", "borrowing-purpose": "利用（按目的）",
    "borrowing-department": "利用（按机构）", "most-used": "利用最多的档案", "overdue-loans": "逾期未还",
    "retention-ending": "保管期限到期（按年度）", "storage-growth": "存储增长（按月）", "backup-history": "备份记录",
    "annual-summary": "基本情况", "annual-category": "馆藏（按门类）", "annual-retention": "馆藏（按保管期限）",
    "annual-use-purpose": "利用（按目的）", "annual-use-form": "利用（按方式）", "annual-appraisal": "鉴定与销毁",
}
COLUMN_NAMES = {
    "items": "件数", "pages": "页数", "documents": "接收文件", "ocr_pages": "OCR页数", "requests": "利用人次",
    "use_items": "利用件次", "views": "浏览次数", "loans": "借出次数", "days_overdue": "逾期天数",
    "D10": "定期10年", "D30": "定期30年",
    "added_megabytes": "新增(MB)", "total_megabytes": "累计(MB)", "duration_seconds": "用时(秒)",
    "original_megabytes": "原始大小(MB)", "deduplicated_megabytes": "去重后(MB)", "title": "题名", "borrower": "借阅人",
    "due": "应还日期", "kind": "类型", "repository": "仓库", "state": "状态", "value": "数值", "key": "项目",
}


def megabytes(size: int) -> float:
    """Bytes as MB (10^6, as disks are sold), two decimals."""
    return round(size / 1_000_000, 2)
