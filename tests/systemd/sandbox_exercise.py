"""Run a program, or the worker's own work, the way the hardened units constrain it: with memory that is never both
writable and executable (the kernel's MDWE, close to MemoryDenyWriteExecute=), so a test can trace what it needs.

    python sandbox_exercise.py exec PROGRAM ARGS...      MDWE on, then exec PROGRAM (pid kept, as systemd's)
    python sandbox_exercise.py worker SPEC_JSON          MDWE on, then OCR in a forkserver pool and a borg backup
    python sandbox_exercise.py agent                     MDWE on, then decode a cover sheet's codes (zbar, ctypes)
"""

import ctypes
import io
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
PAGE_TEXT = "档案管理办法 2026"


def deny_write_execute() -> None:
    """From now on (children and exec'd programs too) no mapping may become writable and executable."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_MDWE)")


def page_image() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    from appliance.adapters.sample_batch import FONT_PATH

    image = Image.new("L", (900, 160), 255)
    ImageDraw.Draw(image).text((30, 40), PAGE_TEXT, fill=0, font=ImageFont.truetype(FONT_PATH, 60))
    output = io.BytesIO()
    image.save(output, "PNG", dpi=(300, 300))
    return output.getvalue()


def exercise_worker(spec: dict) -> dict:
    """OCR one page in a forkserver process pool (as appliance.worker does), then back up a directory with borg."""
    from appliance.adapters.borg import Borg
    from appliance.adapters.ocr import recognise_page

    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver")) as pool:
        text = pool.submit(recognise_page, page_image()).result(timeout=120).text
    borg = Borg(spec["repository"], Path(spec["passphrase_file"]), ssh_key=Path(spec["ssh_key"]),
                known_hosts=Path(spec["known_hosts"]), state_directory=Path(spec["state_directory"]), timeout=120)
    results = [borg.init(), borg.create("first", [Path(spec["data"])], base=Path(spec["data"]).parent)]
    archives = [archive.name for archive in borg.list_archives()]
    return {"text": text, "borg": [result.returncode for result in results], "archives": archives}


def exercise_agent() -> dict:
    """Print a cover sheet, rasterise it as a scan would arrive, and read its codes as the agent does."""
    from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
    from appliance.adapters.sample_batch import rasterise_pdf
    from scanner_agent.barcodes import decode_payloads

    pdf = render_cover_sheets([CoverSheet("DA1:SEP", "separator", [])])
    return {"payloads": decode_payloads(rasterise_pdf(pdf, 200)[0])}


def main(arguments: list[str]) -> None:
    deny_write_execute()
    if arguments[0] == "exec":
        os.execvp(arguments[1], arguments[1:])
    report = exercise_agent() if arguments[0] == "agent" else exercise_worker(json.loads(arguments[1]))
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
