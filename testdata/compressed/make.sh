#!/bin/sh
# Regenerates the compressed fixtures with the real tools (gzip, zstd, pzstd, xz, bzip2).
# Each holds words.txt: alpha 1, beta 2, gamma 3.
set -eu
cd "$(dirname "$0")"
export LC_ALL=C
printf 'alpha beta\nbeta gamma\ngamma gamma\n' > words.txt
gzip -9 -n -c words.txt > words.txt.gz
# gzip data followed by 512 zero bytes (tape or preallocation padding).
{ cat words.txt.gz; head -c 512 /dev/zero; } > words.padded.gz
zstd -q -19 -c words.txt > words.txt.zst
# pzstd starts its output with a skippable frame (the frame sizes).
pzstd -q -p 1 -c words.txt > words.pzstd.zst
xz -9 -c words.txt > words.txt.xz
# Two xz streams, as `cat a.xz b.xz` makes: both are read.
{ cat words.txt.xz; cat words.txt.xz; } > words.twice.xz
bzip2 -9 -c words.txt > words.txt.bz2
# Two bzip2 streams, as pbzip2 and `cat a.bz2 b.bz2` make.
{ cat words.txt.bz2; cat words.txt.bz2; } > words.twice.bz2
