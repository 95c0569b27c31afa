# shellcheck shell=bash
# What benches/peers.sh and benches/lib.sh (time.sh, records.sh, answers.sh) share: the DuckDB
# venv, apt, quoting, the summary's notes and the synthetic access log, so either reuses the
# other's inputs. Sourced, never run. Uses $bench_dir, $out and $apache_sample of its caller.

readonly DUCKDB_VERSION=1.5.6
readonly ACCESS_SEED=42

apt_install() {
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "installing with apt-get: $*" >&2
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# q WORD: WORD single-quoted for sh.
q() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

# slug NAME: NAME as a file-name part.
slug() {
    printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'
}

note() {
    echo "$*" | tee -a "$out/summary.md"
}

# Sets `duckdb_python` to a Python with DuckDB (a venv under $bench_dir), or to "" (with a
# note) if it can't be had.
ensure_duckdb() {
    local venv=$bench_dir/venv
    duckdb_python=$venv/bin/python
    if "$duckdb_python" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION')" \
        2>/dev/null; then
        return
    fi
    if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
        # Debian ships venv's ensurepip separately.
        apt_install python3-venv
        python3 -m venv --clear "$venv"
    fi
    if ! "$venv/bin/pip" install -q --disable-pip-version-check "duckdb==$DUCKDB_VERSION"; then
        note "warning: could not install duckdb==$DUCKDB_VERSION; the DuckDB peer is skipped"
        duckdb_python=""
    fi
}

# make_access BYTES DEST: a synthetic access log of exactly BYTES bytes from $apache_sample. A
# stamp beside it records the generator and its arguments; a file of the right size without a
# stamp (made elsewhere with the same recipe), or when the sample is missing, is kept.
make_access() {
    local bytes=$1 dest=$2 stamp
    if [[ -f $dest && $(stat -c %s "$dest") -eq $bytes && ! -f ${apache_sample:-} ]]; then
        echo "have $dest ($bytes bytes)"
        return
    fi
    [[ -f ${apache_sample:-} ]] || die "corpora not found: set CORPORA to the shared/corpora directory"
    stamp="gen_access_log.py $(sha256sum <scripts/gen_access_log.py | cut -c1-16)"
    stamp+=" sample=$(stat -c %s "$apache_sample") bytes=$bytes seed=$ACCESS_SEED"
    if [[ -f $dest && $(stat -c %s "$dest") -eq $bytes ]] &&
        { [[ ! -f $dest.stamp ]] || [[ $(<"$dest.stamp") == "$stamp" ]]; }; then
        echo "have $dest ($bytes bytes)"
        return
    fi
    echo "making $dest ($bytes bytes, seed $ACCESS_SEED)"
    python3 scripts/gen_access_log.py --sample "$apache_sample" --bytes "$bytes" \
        --seed "$ACCESS_SEED" -o "$dest.tmp"
    mv "$dest.tmp" "$dest"
    echo "$stamp" >"$dest.stamp"
}
