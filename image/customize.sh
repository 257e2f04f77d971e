#!/usr/bin/env bash
# Turn the fresh Debian tree into the appliance: the app, its units, per-box identity removed, boot settings.
# mmdebstrap runs this as a customize hook:
#   customize.sh ROOT WHEELS VERSION ROOT_PARTUUID KERNEL_OPTIONS ESP_PARTUUID
set -euo pipefail

ROOT=$1 WHEELS=$2 VERSION=$3 ROOT_PARTUUID=$4 KERNEL_OPTIONS=$5 ESP_PARTUUID=$6
REPO=$(cd "$(dirname "$0")/.." && pwd)

in_root() {
  # Only the tree's own settings: pip, for one, would otherwise follow the build machine's PIP_* variables.
  chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

install_app() {
  # Each release is its own venv so an upgrade can install beside the running one and switch one link.
  local release=/opt/dangan/releases/$VERSION
  mkdir -p "$ROOT/tmp/dangan-wheels" "$ROOT/opt/dangan/releases"
  cp "$WHEELS"/*.whl "$ROOT/tmp/dangan-wheels/"
  in_root python3 -m venv "$release"
  in_root "$release/bin/pip" install --quiet --no-cache-dir --no-index \
    --find-links /tmp/dangan-wheels "dangan==$VERSION"
  ln -sfn "releases/$VERSION" "$ROOT/opt/dangan/venv"
  rm -rf "$ROOT/tmp/dangan-wheels"
  # A box upgrades itself from a directory of wheels: dangan-upgrade-box WHEELHOUSE
  if [ -e "$REPO/image/upgrade-box.sh" ]; then
    install -D -m 0755 "$REPO/image/upgrade-box.sh" "$ROOT/usr/local/sbin/dangan-upgrade-box"
  fi
}

install_units() {
  local unit_dir=$ROOT/usr/lib/systemd/system file
  for file in "$REPO"/systemd/*.service "$REPO"/systemd/*.target "$REPO"/systemd/*.socket "$REPO"/systemd/*.timer; do
    [ -e "$file" ] && install -m 0644 "$file" "$unit_dir/"
  done
  if [ -e "$REPO/systemd/dangan.sysusers" ]; then
    install -D -m 0644 "$REPO/systemd/dangan.sysusers" "$ROOT/usr/lib/sysusers.d/dangan.conf"
    in_root systemd-sysusers
  fi
  if [ -e "$REPO/systemd/dangan.tmpfiles" ]; then
    install -D -m 0644 "$REPO/systemd/dangan.tmpfiles" "$ROOT/usr/lib/tmpfiles.d/dangan.conf"
  fi
  enable_units
}

enable_units() {
  local unit
  for unit in dangan.target dangan-provision.service dangan-web.socket; do
    [ -e "$ROOT/usr/lib/systemd/system/$unit" ] && systemctl --root="$ROOT" --quiet enable "$unit"
  done
  systemctl --root="$ROOT" --quiet enable systemd-networkd.service ssh.service
  # Provisioning asks the first-boot questions; systemd's own prompt would stop the boot on the console.
  systemctl --root="$ROOT" --quiet mask systemd-firstboot.service
}

install_overlay() {
  cp -r --no-preserve=ownership "$REPO/image/overlay/." "$ROOT/"
  printf 'PARTUUID=%s / ext4 defaults,x-systemd.growfs,errors=remount-ro 0 1\n' "$ROOT_PARTUUID" > "$ROOT/etc/fstab"
  # The ESP, mounted when something looks: a kernel update (Debian's postinst hook, kernel-install) writes there.
  printf 'PARTUUID=%s /efi vfat umask=0077,noauto,x-systemd.automount,x-systemd.idle-timeout=60 0 0\n' \
    "$ESP_PARTUUID" >> "$ROOT/etc/fstab"
  mkdir -p "$ROOT/efi" "$ROOT/etc/kernel"
  # What kernel-install reads on the box: the command line, the entries' name, where and how to write them.
  printf '%s\n' "$KERNEL_OPTIONS" > "$ROOT/etc/kernel/cmdline"
  echo dangan > "$ROOT/etc/kernel/entry-token"
  printf 'layout=bls\nBOOT_ROOT=/efi\n' > "$ROOT/etc/kernel/install.conf"
  echo dangan > "$ROOT/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tdangan\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
}

stage_boot_entries() {
  # The image's kernel goes through kernel-install as every later one will, into /efi (a plain directory here);
  # build.sh moves what it wrote onto the ESP. entries.srel says the entries follow the Boot Loader Specification.
  local kernel version
  mkdir -p "$ROOT/efi/loader"
  echo type1 > "$ROOT/efi/loader/entries.srel"
  for kernel in "$ROOT"/boot/vmlinuz-*; do
    version=${kernel##*/vmlinuz-}
    in_root kernel-install add "$version" "/boot/vmlinuz-$version" "/boot/initrd.img-$version"
  done
  # Here /efi is no mount point, so the entries name their files from / (/efi/dangan/...); the loader reads them
  # from the ESP's own root, as kernel-install writes them on the box, where /efi is the ESP.
  sed -i -E 's#^(linux|initrd)( +)/efi/#\1\2/#' "$ROOT"/efi/loader/entries/*.conf
}

remove_identity() {
  # Every box makes its own machine id and ssh host keys at first boot; none may come from the build machine.
  : > "$ROOT/etc/machine-id"
  rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT"/etc/ssh/ssh_host_*
  : > "$ROOT/etc/resolv.conf"
  # No password can match "*": root logs in only with the keys provisioning installs.
  in_root usermod --password '*' root
}

clean_up() {
  rm -rf "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/lib/apt/lists/* "$ROOT"/root/.cache "$ROOT"/var/log/*.log
}

install_overlay
stage_boot_entries
install_app
install_units
remove_identity
clean_up
