#!/usr/bin/env bash
# Install the Debian packages Dangan needs (or those named as arguments), only those missing; safe to run again.
set -euo pipefail

PACKAGES=(
  python3 python3-venv python3-dev build-essential
  postgresql                        # the second database; the test suite starts a private cluster
  fonts-noto-cjk                    # CJK font for the console
  fonts-wqy-microhei                # TrueType CJK font that reportlab can embed in PDFs
  poppler-utils                     # pdftotext/pdftoppm: PDF pages to images, and the tests read our PDFs
  libsane1 libsane-dev sane-utils   # SANE: python-sane builds against libsane-dev; saned for network scanners
  libzbar0                          # zbar, read through pyzbar: cover sheet barcodes
  tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng   # OCR: chi_sim, and eng for mostly-English papers
  umockdev gir1.2-umockdev-1.0 python3-gi                 # udev hotplug tests without hardware
  iproute2                          # `ip` inside a private network namespace (saned test)
  chromium                          # the browser tests drive it through Playwright (never `playwright install`)
  wrk                               # make bench: the console and API under 50 concurrent clients
  libacl1-dev liblz4-dev libzstd-dev libxxhash-dev libssl-dev pkg-config   # building borgbackup 1.4 from PyPI
  openssh-server openssh-client     # borg to the twin over ssh; the tests start a private sshd on loopback
  systemd strace                    # systemd-analyze verify/security and socket activation; strace checks the units' syscall filters
)
[ $# -gt 0 ] && PACKAGES=("$@")

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
