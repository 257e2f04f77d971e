"""The box is offline: no page, style or script refers to anything but this site."""

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "web"
FOREIGN = re.compile(r"""(?:src|href|action|url\()\s*=?\s*["']?(?:https?:)?//""", re.IGNORECASE)


def test_no_template_style_or_script_loads_from_another_site():
    files = [*WEB.glob("console/templates/**/*.html"), *WEB.glob("static/**/*")]
    offenders = [f"{path.name}: {match.group(0)}" for path in files if path.is_file()
                 for match in FOREIGN.finditer(path.read_text(encoding="utf-8", errors="replace"))]
    assert len(files) > 10 and offenders == []
