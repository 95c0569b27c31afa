//! Exact decimal numbers and their sums, for aggregating numeric fields (`match --sum`, and the
//! `fields` job after it) without floating-point drift.
//!
//! A [`Decimal`] is a sign, a 128-bit magnitude and a scale (the number of decimal places), so
//! `-12.50` is `-(1250 / 10^2)`, normalised to `-(125 / 10^1)`. A [`DecimalSum`] keeps the
//! positive and the negative values in two separate unsigned accumulators at the largest scale
//! seen so far. Both only grow, which makes overflow detection independent of the order of the
//! additions: if the exact total of the positive (or negative) values fits, every partial sum of
//! them fits too, and if it does not, the merge that forms the total overflows, whatever the
//! grouping. So `-j` and `--chunk-size` can never change a result, not even between a number
//! and an overflow error. Overflow is sticky and never wraps.
//!
//! Accepted syntax (after trimming ASCII whitespace): an optional sign, digits with an optional
//! fraction (`12`, `12.5`, `.5`, `12.`), and an optional exponent (`1.5e3`, `2E-4`). Everything
//! else — `-` as Apache logs write for "no bytes", `inf`, `nan`, `0x1F`, `1,000`, `1_000` — is
//! not a number. A number with more than 38 significant digits, or one that needs more than 38
//! decimal places, cannot be represented exactly and is [`NumberError::OutOfRange`].

use std::fmt;

use crate::error::{Error, Result};

/// The most decimal places a value or a sum can carry: `10^38` still fits in a `u128`.
pub const MAX_SCALE: u32 = 38;

/// An exact decimal: `(-1)^negative × magnitude / 10^scale`, normalised (no trailing zeros in
/// the fraction; zero has scale 0 and no sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Decimal {
    negative: bool,
    magnitude: u128,
    scale: u32,
}

/// Why bytes are not an exact decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// The text is not a number in the accepted syntax.
    NotANumber,
    /// The text is a number, but too large or too precise to be held exactly.
    OutOfRange,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberError::NotANumber => "not a number",
            NumberError::OutOfRange => "number out of the exact range",
        })
    }
}

impl std::error::Error for NumberError {}

/// `10^n` for `n <= 38`.
fn pow10(n: u32) -> Option<u128> {
    10u128.checked_pow(n)
}

/// `m × 10^n`, checked.
fn scale_up(m: u128, n: u32) -> Option<u128> {
    if m == 0 {
        return Some(0);
    }
    pow10(n).and_then(|p| m.checked_mul(p))
}

impl Decimal {
    /// Parses a decimal number (see the module documentation for the syntax).
    pub fn parse(text: &[u8]) -> Result<Decimal, NumberError> {
        let s = text.trim_ascii();
        let (negative, s) = match s.first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let int_len = s.iter().take_while(|b| b.is_ascii_digit()).count();
        let (int, rest) = s.split_at(int_len);
        let (frac, rest) = match rest.first() {
            Some(b'.') => {
                let rest = &rest[1..];
                let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                rest.split_at(n)
            }
            _ => (&rest[..0], rest),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(NumberError::NotANumber);
        }
        let exponent: i64 = match rest.first() {
            None => 0,
            Some(b'e' | b'E') => parse_exponent(&rest[1..])?,
            Some(_) => return Err(NumberError::NotANumber),
        };
        // Significant digits: no leading zeros in the whole part, no trailing zeros in the
        // fraction (they do not change the value and would only cost range).
        let int = &int[int.iter().take_while(|&&b| b == b'0').count()..];
        let frac = &frac[..frac.len() - frac.iter().rev().take_while(|&&b| b == b'0').count()];
        let mut magnitude: u128 = 0;
        for &d in int.iter().chain(frac) {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(u128::from(d - b'0')))
                .ok_or(NumberError::OutOfRange)?;
        }
        if magnitude == 0 {
            return Ok(Decimal::default());
        }
        // value = magnitude × 10^(exponent − frac.len())
        let mut scale = frac.len() as i64 - exponent;
        while scale > 0 && magnitude % 10 == 0 {
            magnitude /= 10;
            scale -= 1;
        }
        if scale < 0 {
            let up = u32::try_from(-scale).map_err(|_| NumberError::OutOfRange)?;
            magnitude = scale_up(magnitude, up).ok_or(NumberError::OutOfRange)?;
            scale = 0;
        }
        if scale > i64::from(MAX_SCALE) {
            return Err(NumberError::OutOfRange);
        }
        Ok(Decimal {
            negative,
            magnitude,
            // In 0..=MAX_SCALE here.
            scale: scale as u32,
        })
    }

    /// True for values below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The absolute value's digits, as an integer: the value is `magnitude / 10^scale`.
    pub fn magnitude(&self) -> u128 {
        self.magnitude
    }

    /// The number of decimal places (0 for integers).
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The normalised decimal `(-1)^negative × magnitude / 10^scale`.
    fn normalised(negative: bool, mut magnitude: u128, mut scale: u32) -> Decimal {
        while scale > 0 && magnitude % 10 == 0 {
            magnitude /= 10;
            scale -= 1;
        }
        if magnitude == 0 {
            return Decimal::default();
        }
        Decimal {
            negative,
            magnitude,
            scale,
        }
    }
}

/// The exponent after `e`: optional sign and at least one digit. Large exponents saturate (the
/// caller then reports the value as out of range, or as zero for a zero mantissa).
fn parse_exponent(s: &[u8]) -> Result<i64, NumberError> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(NumberError::NotANumber);
    }
    let mut e: i64 = 0;
    for &d in digits {
        e = e.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    // Keep well inside i64 so `frac.len() - exponent` cannot overflow.
    let e = e.min(1 << 40);
    Ok(if negative { -e } else { e })
}

/// Exactly how the number reads: digits, a `.` only when there is a fraction, no exponent, no
/// trailing zeros, no `+`, and `0` for zero.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.magnitude.to_string();
        let scale = self.scale as usize;
        let sign = if self.negative { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{int}.{frac}")
        } else {
            write!(f, "{sign}0.{:0>scale$}", digits)
        }
    }
}

/// The sum of a `u128` accumulator went past the exact range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the exact sum does not fit in 128 bits at its scale")
    }
}

impl std::error::Error for Overflow {}

/// A running exact sum of [`Decimal`]s: a partial aggregate ([`crate::aggregate::Merge`]) whose
/// result does not depend on the order or grouping of additions, overflow included. Serialized
/// (for partial files) as its exact accumulators, so a merge elsewhere is as exact as here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DecimalSum {
    /// Sum of the positive values, times `10^scale`.
    positive: u128,
    /// Sum of the magnitudes of the negative values, times `10^scale`.
    negative: u128,
    /// The largest scale among the values added.
    scale: u32,
    /// Set once any addition or rescale went out of range; then the other fields are moot.
    overflow: bool,
}

impl DecimalSum {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, d: Decimal) {
        let mut one = DecimalSum {
            scale: d.scale,
            ..DecimalSum::default()
        };
        if d.negative {
            one.negative = d.magnitude;
        } else {
            one.positive = d.magnitude;
        }
        self.add_sum(one);
    }

    /// Marks the sum as out of range, as when a value itself could not be represented.
    pub fn set_overflow(&mut self) {
        self.overflow = true;
    }

    /// The exact total, or [`Overflow`].
    pub fn total(&self) -> Result<Decimal, Overflow> {
        if self.overflow {
            return Err(Overflow);
        }
        Ok(if self.positive >= self.negative {
            Decimal::normalised(false, self.positive - self.negative, self.scale)
        } else {
            Decimal::normalised(true, self.negative - self.positive, self.scale)
        })
    }

    fn add_sum(&mut self, other: DecimalSum) {
        if self.overflow || other.overflow {
            self.overflow = true;
            return;
        }
        let scale = self.scale.max(other.scale);
        let sum = |a: u128, a_scale: u32, b: u128, b_scale: u32| {
            scale_up(a, scale - a_scale)?.checked_add(scale_up(b, scale - b_scale)?)
        };
        match (
            sum(self.positive, self.scale, other.positive, other.scale),
            sum(self.negative, self.scale, other.negative, other.scale),
        ) {
            (Some(p), Some(n)) => {
                self.positive = p;
                self.negative = n;
                self.scale = scale;
            }
            _ => self.overflow = true,
        }
    }
}

impl crate::aggregate::Merge for DecimalSum {
    #[inline]
    fn merge(&mut self, other: Self) {
        self.add_sum(other);
    }
}

/// Parses a human size: a whole number with an optional binary suffix K, M, G or T (any case,
/// optionally followed by `iB` or `B`): `64K` is 65536 bytes. The result is at least 1.
pub fn parse_size(flag: &'static str, s: &str) -> Result<usize> {
    let bad = |reason: &str| Error::InvalidArgument {
        flag,
        value: s.to_string(),
        reason: reason.to_string(),
    };
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad(
            "expected a number with an optional K, M, G or T suffix",
        ));
    }
    let n: u64 = t[..digits].parse().map_err(|_| bad("number too large"))?;
    let suffix = t[digits..].trim_start().to_ascii_lowercase();
    let shift = match suffix.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad("unknown suffix; use K, M, G or T")),
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(|| bad("size too large"))?;
    if bytes == 0 {
        return Err(bad("must be at least 1 byte"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{check_laws, Merge};
    use proptest::prelude::*;

    fn p(s: &str) -> Result<Decimal, NumberError> {
        Decimal::parse(s.as_bytes())
    }

    fn show(s: &str) -> String {
        p(s).map_or_else(|e| format!("{e:?}"), |d| d.to_string())
    }

    #[test]
    fn parses_integers_decimals_and_exponents() {
        for (input, want) in [
            ("0", "0"),
            ("-0", "0"),
            ("+0.000", "0"),
            ("42", "42"),
            ("007", "7"),
            ("-12.50", "-12.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("  3.25\r", "3.25"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            ("-2.5e+2", "-250"),
            ("0e99999999999", "0"),
            ("1000e-3", "1"),
            ("0.000001", "0.000001"),
            (
                "340282366920938463463374607431768211455",
                "340282366920938463463374607431768211455",
            ),
            ("1.00000000000000000000000000000000000000000000", "1"),
        ] {
            assert_eq!(show(input), want, "{input:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for input in [
            "", "-", "+", ".", "-.", "e5", "1e", "1e+", "1.2.3", "0x1F", "1,000", "1_000", "inf",
            "NaN", "12abc", "1 2", "--1", "1e5.5", "١٢",
        ] {
            assert_eq!(p(input), Err(NumberError::NotANumber), "{input:?}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_held_exactly() {
        for input in [
            "340282366920938463463374607431768211456",
            "1e39",
            "1e99999999999999999999",
            "0.000000000000000000000000000000000000001",
            "1e-39",
        ] {
            assert_eq!(p(input), Err(NumberError::OutOfRange), "{input:?}");
        }
        assert_eq!(show("1e-38"), format!("0.{}1", "0".repeat(37)));
    }

    fn sum_of(values: &[&str]) -> DecimalSum {
        let mut s = DecimalSum::default();
        for v in values {
            s.add(p(v).unwrap());
        }
        s
    }

    #[test]
    fn sums_exactly_where_floats_drift() {
        // 0.1 + 0.2 is 0.30000000000000004 in binary floating point.
        assert_eq!(sum_of(&["0.1", "0.2"]).total().unwrap().to_string(), "0.3");
        let many = vec!["0.1"; 1000];
        assert_eq!(sum_of(&many).total().unwrap().to_string(), "100");
        assert_eq!(
            sum_of(&["1.5", "-2.25", "3"]).total().unwrap().to_string(),
            "2.25"
        );
        assert_eq!(sum_of(&["-1", "-2"]).total().unwrap().to_string(), "-3");
        assert_eq!(sum_of(&["1.5", "-1.5"]).total().unwrap().to_string(), "0");
        assert_eq!(DecimalSum::default().total().unwrap().to_string(), "0");
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let max = u128::MAX.to_string();
        let mut s = sum_of(&[&max]);
        assert!(s.total().is_ok());
        s.add(p("1").unwrap());
        assert_eq!(s.total(), Err(Overflow));
        // Sticky: a negative value afterwards does not bring it back.
        s.add(p(&format!("-{max}")).unwrap());
        assert_eq!(s.total(), Err(Overflow));
        // Rescaling overflows too: a huge integer plus a value with many decimals.
        let s = sum_of(&["1e30", "0.000000001"]);
        assert_eq!(s.total(), Err(Overflow));
        // Positive and negative are kept apart, so this overflows in every order.
        let mut a = sum_of(&[&max]);
        a.merge(sum_of(&[&max, &format!("-{max}")]));
        assert_eq!(a.total(), Err(Overflow));
    }

    fn canon(s: &DecimalSum) -> Result<String, Overflow> {
        s.total().map(|d| d.to_string())
    }

    #[test]
    fn decimal_sum_laws() {
        let max = u128::MAX.to_string();
        let half = (u128::MAX / 2).to_string();
        let samples = vec![
            DecimalSum::default(),
            sum_of(&["1.25", "-3"]),
            sum_of(&["0.001"]),
            sum_of(&["-7"]),
            sum_of(&[&half]),
            sum_of(&[&half, "1"]),
            sum_of(&[&max]),
        ];
        check_laws(&samples, canon);
    }

    proptest! {
        #[test]
        fn any_grouping_gives_the_same_total(
            values in proptest::collection::vec((-10_000_000i64..10_000_000, 0u32..7), 0..40),
            cut in 0usize..40,
        ) {
            let decimals: Vec<Decimal> = values
                .iter()
                .map(|(m, s)| {
                    let text = format!("{m}e-{s}");
                    Decimal::parse(text.as_bytes()).unwrap()
                })
                .collect();
            let mut all = DecimalSum::default();
            for d in &decimals {
                all.add(*d);
            }
            let cut = cut.min(decimals.len());
            let (mut left, mut right) = (DecimalSum::default(), DecimalSum::default());
            for d in &decimals[..cut] {
                left.add(*d);
            }
            for d in decimals[cut..].iter().rev() {
                right.add(*d);
            }
            right.merge(left);
            prop_assert_eq!(canon(&all), canon(&right));
            // Independent oracle: everything scaled to 10^-6 as an i128.
            let oracle: i128 = values.iter().map(|(m, s)| i128::from(*m) * 10i128.pow(6 - s)).sum();
            let want = Decimal::normalised(oracle < 0, oracle.unsigned_abs(), 6).to_string();
            prop_assert_eq!(canon(&all).unwrap(), want);
        }

        #[test]
        fn display_parses_back_to_the_same_value(m in any::<i64>(), s in 0u32..20) {
            let d = Decimal::parse(format!("{m}e-{s}").as_bytes()).unwrap();
            prop_assert_eq!(Decimal::parse(d.to_string().as_bytes()).unwrap(), d);
        }
    }
}
