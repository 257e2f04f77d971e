#!/usr/bin/env bash
# Build the appliance disk image, raw and qcow2, without loop devices or mounts: `make image` runs this.
# Output in image/out/: dangan.raw, dangan.qcow2, the root tree rootfs/ (for systemd-analyze --root) and wheels/.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/image/out
SUITE=bookworm
ESP_MIB=256
ROOT_MIB=${DANGAN_IMAGE_ROOT_MIB:-3072}   # grown to the whole disk at first boot (x-systemd.growfs, repart)
PACKAGES=(
  systemd-sysv udev dbus kmod e2fsprogs initramfs-tools zstd linux-image-amd64 systemd-boot systemd-timesyncd
  openssh-server openssh-client ca-certificates tzdata iproute2 procps
  python3 python3-venv
  tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng   # OCR with the Chinese model: the box never downloads
  fonts-wqy-microhei                                      # the TrueType CJK font reportlab embeds in PDFs
  libsane1 sane-utils libzbar0 poppler-utils
  libacl1 liblz4-1 libzstd1 libxxhash0 libssl3            # what the borgbackup wheel links against
)
# Manuals and translations of tool messages are of no use on a box nobody logs in to.
DPKG_OPTIONS=(
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/zh_CN/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
)
# Kernel modules for hardware an archive appliance does not drive (sound, TV and camera capture, Wi-Fi,
# Bluetooth, InfiniBand): about 110 MB less. Scanners are USB devices driven by SANE through libusb.
for modules in sound drivers/media drivers/net/wireless net/wireless net/bluetooth drivers/bluetooth \
  drivers/infiniband; do
  DPKG_OPTIONS+=(--dpkgopt="path-exclude=/lib/modules/*/kernel/$modules/*")
done

main() {
  require_root "$@"
  bash "$REPO/image/install-build-packages.sh"
  timed build_wheels
  VERSION=$(wheel_version)
  ROOT_PARTUUID=$(new_uuid) ESP_PARTUUID=$(new_uuid)
  KERNEL_OPTIONS="root=PARTUUID=$ROOT_PARTUUID rw console=tty1 console=ttyS0,115200"
  timed build_tree
  timed build_disk
  report
}

STEP_TIMES=()
timed() {
  local started=$SECONDS
  "$@"
  STEP_TIMES+=("$1 $((SECONDS - started)) s")
}

require_root() {
  # mmdebstrap's root mode and the file ownership inside the image both need root.
  if [ "$(id -u)" -ne 0 ]; then
    exec sudo --preserve-env=DANGAN_IMAGE_ROOT_MIB bash "$0" "$@"
  fi
}

build_wheels() {
  echo "== wheels of dangan and its dependencies"
  rm -rf "$OUT/wheels"
  "$REPO/.venv/bin/pip" wheel --quiet --quiet --wheel-dir "$OUT/wheels" "$REPO"
}

wheel_version() {
  local wheel
  wheel=$(basename "$OUT"/wheels/dangan-*-py3-none-any.whl)
  wheel=${wheel#dangan-}
  echo "${wheel%%-*}"
}

new_uuid() {
  cat /proc/sys/kernel/random/uuid
}

mirror_lines() {
  # The machine's own apt sources (the only network there is), bookworm suites only, one "deb" line per suite.
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' "Identifier: Packages" \
    | awk -v suite="$SUITE" '$2 ~ "^" suite "(-|$)" { components[$1 " " $2] = components[$1 " " $2] " " $3 }
        END { for (key in components) print "deb " key components[key] }' | sort
}

build_tree() {
  local mirrors hook
  mapfile -t mirrors < <(mirror_lines)
  if [ ${#mirrors[@]} -eq 0 ]; then
    echo "no $SUITE source in /etc/apt/sources.list(.d): the image needs a Debian 12 mirror" >&2
    exit 1
  fi
  echo "== root tree from: ${mirrors[*]}"
  remove_tree
  # mmdebstrap hands the tree's path to the hook as "$1"; the other arguments are quoted into the command line.
  hook="$(printf %q "$REPO/image/customize.sh") \"\$1\" $(printf '%q ' "$OUT/wheels" "$VERSION" "$ROOT_PARTUUID" \
    "$KERNEL_OPTIONS" "$ESP_PARTUUID")"
  mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" "${DPKG_OPTIONS[@]}" \
    --customize-hook="$hook" "$SUITE" "$OUT/rootfs" "${mirrors[@]}"
}

remove_tree() {
  # A crashed mmdebstrap can leave /proc or /dev mounted inside the tree; deleting through them would be a disaster.
  if [ -d "$OUT/rootfs" ] && findmnt --list --noheadings --output TARGET | grep -q "^$OUT/rootfs"; then
    echo "something is still mounted under $OUT/rootfs: unmount it first" >&2
    exit 1
  fi
  rm -rf "$OUT/rootfs"
}

build_disk() {
  echo "== disk"
  rm -f "$OUT"/esp.img "$OUT"/root.img "$OUT"/dangan.raw "$OUT"/dangan.qcow2
  build_esp "$OUT/esp.img"
  mkfs.ext4 -q -L dangan-root -d "$OUT/rootfs" "$OUT/root.img" "${ROOT_MIB}M"
  build_partition_table "$OUT/dangan.raw"
  dd if="$OUT/esp.img" of="$OUT/dangan.raw" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$OUT/root.img" of="$OUT/dangan.raw" bs=1M seek=$((1 + ESP_MIB)) conv=notrunc,sparse status=none
  rm -f "$OUT/esp.img" "$OUT/root.img"
  # Compressed: a third of the size to ship (480 MB, not 1.3 GB) for about 40 s more; reads stay fast enough.
  qemu-img convert -c -f raw -O qcow2 "$OUT/dangan.raw" "$OUT/dangan.qcow2"
  echo "$VERSION" > "$OUT/VERSION"
}

build_esp() {
  local esp=$1 staged=$OUT/rootfs/efi loader=$OUT/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi
  mkfs.vfat -F 32 -n ESP -C "$esp" $((ESP_MIB * 1024)) > /dev/null
  mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/systemd
  # The fallback path needs no NVRAM boot entry: any UEFI machine, or OVMF with fresh variables, starts it.
  # The systemd path is where `bootctl is-installed` looks before Debian's kernel hooks call kernel-install.
  mcopy -i "$esp" "$loader" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$loader" ::/EFI/systemd/systemd-bootx64.efi
  # The newest kernel's entry boots: a kernel update adds its own, and removing a kernel package drops its entry.
  printf 'default dangan-*\ntimeout 0\n' > "$staged/loader/loader.conf"
  mcopy -s -i "$esp" "$staged"/* ::/
  find "$staged" -mindepth 1 -delete  # the mount point stays, empty
}

build_partition_table() {
  local disk=$1 sectors_per_mib=2048
  truncate --size=$(((1 + ESP_MIB + ROOT_MIB + 1) * 1024 * 1024)) "$disk"
  # Partition types from the Discoverable Partitions Specification: the ESP and an x86-64 root.
  sfdisk --quiet --no-reread --no-tell-kernel "$disk" <<SCRIPT
label: gpt
unit: sectors
start=$sectors_per_mib, size=$((ESP_MIB * sectors_per_mib)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_PARTUUID, name="esp"
start=$(((1 + ESP_MIB) * sectors_per_mib)), size=$((ROOT_MIB * sectors_per_mib)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$ROOT_PARTUUID, name="root"
SCRIPT
}

report() {
  echo "== image $VERSION built in ${SECONDS} s: $(IFS=,; echo "${STEP_TIMES[*]}")"
  printf '%-14s %9s %11s\n' file "disk use" "virtual"
  printf '%-14s %9s %11s\n' dangan.raw "$(du -h "$OUT/dangan.raw" | cut -f1)" "$(du -h --apparent-size "$OUT/dangan.raw" | cut -f1)"
  printf '%-14s %9s %11s\n' dangan.qcow2 "$(du -h "$OUT/dangan.qcow2" | cut -f1)" "$(du -h --apparent-size "$OUT/dangan.raw" | cut -f1)"
  printf 'root tree      %9s\n' "$(du -sh "$OUT/rootfs" | cut -f1)"
}

main "$@"
