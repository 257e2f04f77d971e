#!/usr/bin/env bash
# Install the Debian packages `make image` and `make image-test` need, only those missing; safe to run again.
set -euo pipefail

PACKAGES=(
  mmdebstrap                        # the root file system, as a plain directory
  e2fsprogs                         # mkfs.ext4 -d: the root partition filled from that directory, no mounts
  dosfstools mtools                 # mkfs.vfat + mcopy: the EFI system partition, no mounts
  fdisk                             # sfdisk writes the GPT into a plain file
  qemu-utils                        # qemu-img: raw to qcow2, and the test's copy-on-write overlay
  qemu-system-x86 ovmf              # the boot test: q35 under TCG with UEFI firmware
  openssh-client                    # the boot test logs in with a generated key
)

exec bash "$(dirname "$0")/../scripts/install-system-packages.sh" "${PACKAGES[@]}"
