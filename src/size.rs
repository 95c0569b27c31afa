//! Human sizes for the size flags (`--memory`, `--chunk-size`, `--max-line`, ...): `64K`,
//! `1.5M`, `2G`.

use crate::error::{Error, Result};

/// The largest size any size flag takes: 1024 TiB (1 PiB). `--chunk-size` has its own, smaller
/// bound (`config::MAX_CHUNK_SIZE`).
pub const MAX_SIZE: u64 = 1 << 50;

/// Parses a human size: a number, with decimals allowed (`1.5M`), and an optional binary suffix
/// K, M, G or T (any case, optionally followed by `iB` or `B`): `64K` is 65536 bytes, `1.5K` is
/// 1536. A fraction of a byte is dropped. The result is from 1 to [`MAX_SIZE`].
pub fn parse_size(flag: &'static str, s: &str) -> Result<usize> {
    let bad = |reason: String| Error::InvalidArgument {
        flag,
        value: s.to_string(),
        reason,
    };
    const EXPECTED: &str =
        "expected a size such as 4096, 64K, 1.5M or 2G (K, M, G, T are powers of 1024)";
    let t = s.trim();
    let int_len = t.bytes().take_while(u8::is_ascii_digit).count();
    let (int, rest) = t.split_at(int_len);
    let (frac, rest) = match rest.strip_prefix('.') {
        Some(after) => after.split_at(after.bytes().take_while(u8::is_ascii_digit).count()),
        None => ("", rest),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(bad(EXPECTED.into()));
    }
    let suffix = rest.trim_start().to_ascii_lowercase();
    let shift = match suffix.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(bad(format!(
                "unknown unit {:?}; {EXPECTED}",
                rest.trim_start()
            )))
        }
    };
    let too_large = || bad(format!("too large; the most is {}T", MAX_SIZE >> 40));
    // Trailing zeros of the fraction change nothing; more than 12 other decimals is noise.
    let frac = frac.trim_end_matches('0');
    if frac.len() > 12 {
        return Err(bad(format!("too many decimal places; {EXPECTED}")));
    }
    let scale = 10u128.pow(frac.len() as u32);
    let int: u128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| too_large())?
    };
    let frac: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().expect("digits")
    };
    let bytes = int
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac))
        .and_then(|v| v.checked_mul(1u128 << shift))
        .map(|v| v / scale)
        .ok_or_else(too_large)?;
    if bytes > u128::from(MAX_SIZE) {
        return Err(too_large());
    }
    if bytes == 0 {
        return Err(bad("must be at least 1 byte".into()));
    }
    usize::try_from(bytes).map_err(|_| too_large())
}
