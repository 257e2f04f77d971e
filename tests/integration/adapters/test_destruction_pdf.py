"""The printed destruction list read back with pdftotext: number, codes, and the signatures once executed."""

import datetime
import subprocess
from dataclasses import replace

from appliance.adapters.destruction_pdf import DestructionListPdf
from appliance.domain.destruction import Approval, ListDocument, ListedItem, Witness

COMPILED = datetime.datetime(2026, 11, 27, 1, 30, tzinfo=datetime.UTC)
ROWS = tuple(ListedItem(f"Z109-WS·2011-D10-BGS-000{number}", f"关于第{number}号事项的通知", f"某发〔2011〕{number}号",
                        "20110315", 3, "10年", "保管期满，已无保存价值") for number in (1, 2))
DRAFT = ListDocument("Z109-XH-2026-001", "Z109", "某某市人民政府", "王档案", COMPILED, "2011 年度到期档案销毁", ROWS)


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "list.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_the_draft_names_the_list_and_its_items_and_leaves_the_signatures_blank(tmp_path):
    text = text_of(DestructionListPdf()(DRAFT), tmp_path)
    assert "档案销毁清册" in text and "Z109-XH-2026-001" in text
    assert all(row.archival_code in text for row in ROWS)
    assert "保管期满" in text and "2026-11-27 09:30" in text  # Beijing time
    assert text.count("监销人") == 2 and "＿＿" in text


def test_the_final_list_carries_the_approver_and_both_witnesses(tmp_path):
    later = COMPILED + datetime.timedelta(days=2)
    final = replace(DRAFT, approvals=(Approval("zhao", "赵领导", later),),
                    witnesses=(Witness("li-na", "李娜", later), Witness("qian", "钱监销", later)), destroyed_at=later)
    text = text_of(DestructionListPdf("UTC")(final), tmp_path)
    for name in ("赵领导", "李娜", "钱监销", "li-na", "2026-11-29 01:30"):
        assert name in text
    assert "＿＿" not in text
