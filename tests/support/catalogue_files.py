"""Catalogue files as an archive room keeps them in Excel, for import tests."""

import csv
from pathlib import Path

from openpyxl import Workbook

HEADER = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
TITLES = ["关于开展档案工作检查的通知", "[办公室会议记录]", "关于印发《档案管理办法》的通知", "年度工作总结",
          "关于申请经费的请示", "=1+1 is not a formula when typed as text", "-3 摄氏度 report"]


def catalogue_rows(count: int = 6, fonds: str = "Z109", year: int = 2011, retention: str = "Y",
                   department: str | None = "BGS", start: int = 1) -> list[list]:
    rows = []
    for offset in range(count):
        number = start + offset
        department_part = f"-{department}" if department else ""
        code = f"{fonds}-WS·{year}-{retention}{department_part}-{number:04d}"
        rows.append([offset + 1, code, f"Z办发〔{year}〕{number}号", "某某市人民政府办公室",
                     TITLES[offset % len(TITLES)], f"{year}03{(offset % 28) + 1:02d}", "内部", offset + 2,
                     "@备注" if offset == 2 else ""])
    return rows


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig", header=HEADER) -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) else v
                             for v in row])
    return path


def write_xlsx(path: Path, rows: list[list], title_row: bool = True, header=HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append(["归档文件目录"])
    sheet.append(header)
    for row in rows:
        cell_row = list(row)
        sheet.append(cell_row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    workbook.save(path)
    return path
