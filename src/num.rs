//! Exact decimal numbers and their sums, for aggregating numeric fields (`match --sum`, and the
//! `fields` job after it) without floating-point drift.
//!
//! A [`Decimal`] is a sign, a 128-bit magnitude and a scale (the number of decimal places), so
//! `-12.50` is `-(1250 / 10^2)`, normalised to `-(125 / 10^1)`. A [`DecimalSum`] keeps the
//! positive and the negative values in two separate unsigned 384-bit accumulators at the
//! largest scale seen so far, wide enough that no realistic sum overflows them: the total is
//! exact whenever the final value fits in a [`Decimal`], whatever the intermediate sums, and
//! only a final value out of range is an error. Both accumulators only grow, so even the
//! (theoretical) accumulator overflow does not depend on the order of the additions: `-j` and
//! `--chunk-size` can never change a result, not even between a number and an overflow error.
//! Overflow is sticky and never wraps.
//!
//! Accepted syntax (after trimming ASCII whitespace): an optional sign, digits with an optional
//! fraction (`12`, `12.5`, `.5`, `12.`), and an optional exponent (`1.5e3`, `2E-4`). Everything
//! else — `-` as Apache logs write for "no bytes", `inf`, `nan`, `0x1F`, `1,000`, `1_000` — is
//! not a number. A number with more than 38 significant digits, one above `u128::MAX`, or one
//! that needs more than 38 decimal places cannot be represented exactly: [`NumberError`] says
//! which.

use std::fmt;

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
    /// The text is a number too large to be held exactly (above `u128::MAX`, about 3.4e38).
    TooLarge,
    /// The text is a number with more than 38 decimal places (`1e-400`): too small or too
    /// precise to be held exactly.
    TooPrecise,
    /// The text is a number with more than 38 significant digits.
    TooManyDigits,
}

impl NumberError {
    /// What is wrong with the text, as a phrase for messages ("1e400: a number too large ...").
    pub fn reason(self) -> &'static str {
        match self {
            NumberError::NotANumber => "not a number",
            NumberError::TooLarge => "a number too large to hold exactly",
            NumberError::TooPrecise => "a number with more than 38 decimal places",
            NumberError::TooManyDigits => "a number with more than 38 significant digits",
        }
    }
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
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
                .ok_or(NumberError::TooManyDigits)?;
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
            let up = u32::try_from(-scale).map_err(|_| NumberError::TooLarge)?;
            magnitude = scale_up(magnitude, up).ok_or(NumberError::TooLarge)?;
            scale = 0;
        }
        if scale > i64::from(MAX_SCALE) {
            return Err(NumberError::TooPrecise);
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

/// An exact sum whose value does not fit in a [`Decimal`] (more than 38 significant digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the exact sum does not fit in 128 bits at its scale (38 significant digits)")
    }
}

impl std::error::Error for Overflow {}

/// An unsigned 384-bit integer (little-endian `u64` limbs): wide enough that a sum of up to
/// 2^64 values, each below 2^128 and scaled by at most 10^38 (< 2^127), never overflows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Wide([u64; 6]);

impl Wide {
    fn from_u128(v: u128) -> Wide {
        let mut w = [0; 6];
        w[0] = v as u64;
        w[1] = (v >> 64) as u64;
        Wide(w)
    }

    fn from_u128_limbs(limbs: [u128; 3]) -> Wide {
        let mut w = [0; 6];
        for (i, l) in limbs.iter().enumerate() {
            w[2 * i] = *l as u64;
            w[2 * i + 1] = (*l >> 64) as u64;
        }
        Wide(w)
    }

    fn to_u128_limbs(self) -> [u128; 3] {
        let w = self.0;
        [0, 1, 2].map(|i| u128::from(w[2 * i]) | (u128::from(w[2 * i + 1]) << 64))
    }

    /// The value, when it fits in a `u128`.
    fn to_u128(self) -> Option<u128> {
        let [lo, mid, hi] = self.to_u128_limbs();
        (mid == 0 && hi == 0).then_some(lo)
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }

    fn checked_add(self, other: Wide) -> Option<Wide> {
        let mut out = [0; 6];
        let mut carry = false;
        for (i, o) in out.iter_mut().enumerate() {
            let (a, c1) = self.0[i].overflowing_add(other.0[i]);
            let (b, c2) = a.overflowing_add(u64::from(carry));
            *o = b;
            carry = c1 || c2;
        }
        (!carry).then_some(Wide(out))
    }

    /// `self - other`, for `self >= other`.
    fn sub(self, other: Wide) -> Wide {
        let mut out = [0; 6];
        let mut borrow = false;
        for (i, o) in out.iter_mut().enumerate() {
            let (a, b1) = self.0[i].overflowing_sub(other.0[i]);
            let (b, b2) = a.overflowing_sub(u64::from(borrow));
            *o = b;
            borrow = b1 || b2;
        }
        Wide(out)
    }

    fn checked_mul_small(self, m: u64) -> Option<Wide> {
        let mut out = [0; 6];
        let mut carry = 0u128;
        for (i, o) in out.iter_mut().enumerate() {
            let p = u128::from(self.0[i]) * u128::from(m) + carry;
            *o = p as u64;
            carry = p >> 64;
        }
        (carry == 0).then_some(Wide(out))
    }

    /// `self × 10^n`, checked.
    fn checked_scale_up(self, mut n: u32) -> Option<Wide> {
        let mut w = self;
        while n > 0 {
            let step = n.min(19);
            w = w.checked_mul_small(10u64.pow(step))?;
            n -= step;
        }
        Some(w)
    }

    /// `(self / d, self % d)`.
    fn div_rem_small(self, d: u64) -> (Wide, u64) {
        let mut out = [0; 6];
        let mut rem = 0u128;
        for i in (0..6).rev() {
            let cur = (rem << 64) | u128::from(self.0[i]);
            out[i] = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        (Wide(out), rem as u64)
    }
}

impl PartialOrd for Wide {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Wide {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

/// A running exact sum of [`Decimal`]s: a partial aggregate (its `Merge` is in `aggregate`) whose
/// result does not depend on the order or grouping of additions. The positive and the negative
/// values are summed apart in 384-bit accumulators at the largest scale seen, so intermediate
/// sums never overflow (see [`Wide`]): the total is exact whenever the final value fits in a
/// [`Decimal`] (`3e38 + 3e38 - 3e38` is `3e38`), and only a final value out of range is
/// [`Overflow`]. Serialized (for partial files) as its exact accumulators, so a merge elsewhere
/// is as exact as here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecimalSum {
    /// Sum of the positive values, times `10^scale`.
    positive: Wide,
    /// Sum of the magnitudes of the negative values, times `10^scale`.
    negative: Wide,
    /// The largest scale among the values added.
    scale: u32,
    /// Set once an accumulator went past 384 bits (more than 2^64 values), or by
    /// [`DecimalSum::set_overflow`]; then the other fields are moot. Sticky.
    overflow: bool,
}

/// How a [`DecimalSum`] reads in a partial file: the accumulators' low 128 bits under the names
/// partials always used, and the bits above only when there are any (`high`), so sums that fit
/// 128 bits are written as before and older partials read unchanged.
#[derive(serde::Serialize, serde::Deserialize)]
struct SumText {
    positive: u128,
    negative: u128,
    scale: u32,
    overflow: bool,
    /// Bits 128..384 of `[positive, negative]`, as two `u128` limbs each (low first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    high: Option<[[u128; 2]; 2]>,
}

/// How a [`DecimalSum`] is stored in spilled runs (postcard, fixed fields).
#[derive(serde::Serialize, serde::Deserialize)]
struct SumBinary {
    positive: [u128; 3],
    negative: [u128; 3],
    scale: u32,
    overflow: bool,
}

impl serde::Serialize for DecimalSum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (p, n) = (self.positive.to_u128_limbs(), self.negative.to_u128_limbs());
        if s.is_human_readable() {
            let high = [[p[1], p[2]], [n[1], n[2]]];
            SumText {
                positive: p[0],
                negative: n[0],
                scale: self.scale,
                overflow: self.overflow,
                high: (high != [[0; 2]; 2]).then_some(high),
            }
            .serialize(s)
        } else {
            SumBinary {
                positive: p,
                negative: n,
                scale: self.scale,
                overflow: self.overflow,
            }
            .serialize(s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for DecimalSum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (positive, negative, scale, overflow) = if d.is_human_readable() {
            let t = SumText::deserialize(d)?;
            let [[p1, p2], [n1, n2]] = t.high.unwrap_or_default();
            (
                [t.positive, p1, p2],
                [t.negative, n1, n2],
                t.scale,
                t.overflow,
            )
        } else {
            let b = SumBinary::deserialize(d)?;
            (b.positive, b.negative, b.scale, b.overflow)
        };
        if scale > MAX_SCALE {
            return Err(serde::de::Error::custom(format!(
                "a sum with {scale} decimal places (at most {MAX_SCALE})"
            )));
        }
        Ok(DecimalSum {
            positive: Wide::from_u128_limbs(positive),
            negative: Wide::from_u128_limbs(negative),
            scale,
            overflow,
        })
    }
}

/// A [`DecimalSum`] that is one pointer wide until a value is added: `match` keeps a sum in
/// every key's state even without a sum group, and high-cardinality tables (client addresses)
/// are dominated by slot size. Reads, writes and compares as the [`DecimalSum`] it stands for
/// (nothing added: zero), so partials and spill runs are unchanged.
#[derive(Debug, Clone, Default)]
pub struct SparseSum(Option<Box<DecimalSum>>);

impl SparseSum {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, d: Decimal) {
        self.0.get_or_insert_with(Box::default).add(d);
    }

    /// The sum (zero when nothing was added).
    pub fn get(&self) -> DecimalSum {
        self.0.as_deref().copied().unwrap_or_default()
    }

    /// The exact total (see [`DecimalSum::total`]).
    pub fn total(&self) -> Result<Decimal, Overflow> {
        self.get().total()
    }

    /// Adds another sum.
    pub fn add_sparse(&mut self, other: SparseSum) {
        match (&mut self.0, other.0) {
            (_, None) => {}
            (None, Some(b)) => self.0 = Some(b),
            (Some(a), Some(b)) => a.add_sum(*b),
        }
    }
}

impl From<DecimalSum> for SparseSum {
    fn from(sum: DecimalSum) -> SparseSum {
        SparseSum((sum != DecimalSum::default()).then(|| Box::new(sum)))
    }
}

impl PartialEq for SparseSum {
    fn eq(&self, other: &SparseSum) -> bool {
        self.get() == other.get()
    }
}

impl Eq for SparseSum {}

impl serde::Serialize for SparseSum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for SparseSum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SparseSum, D::Error> {
        DecimalSum::deserialize(d).map(SparseSum::from)
    }
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
            one.negative = Wide::from_u128(d.magnitude);
        } else {
            one.positive = Wide::from_u128(d.magnitude);
        }
        self.add_sum(one);
    }

    /// Adds a non-negative integer (a sum of integers kept apart on a fast path).
    pub fn add_integer(&mut self, n: u128) {
        self.add_sum(DecimalSum {
            positive: Wide::from_u128(n),
            ..DecimalSum::default()
        });
    }

    /// Marks the sum as out of range, as when a value itself could not be represented.
    pub fn set_overflow(&mut self) {
        self.overflow = true;
    }

    /// The exact total, or [`Overflow`] when it does not fit in a [`Decimal`].
    pub fn total(&self) -> Result<Decimal, Overflow> {
        if self.overflow {
            return Err(Overflow);
        }
        let (negative, mut m) = if self.positive >= self.negative {
            (false, self.positive.sub(self.negative))
        } else {
            (true, self.negative.sub(self.positive))
        };
        // Trailing zeros of the fraction are not digits of the value: drop them before
        // asking whether it fits.
        let mut scale = self.scale;
        while scale > 0 && !m.is_zero() {
            let (q, r) = m.div_rem_small(10);
            if r != 0 {
                break;
            }
            m = q;
            scale -= 1;
        }
        let m = m.to_u128().ok_or(Overflow)?;
        Ok(Decimal::normalised(negative, m, scale))
    }

    /// Adds another running sum into this one (the merge of two partial sums).
    pub fn add_sum(&mut self, other: DecimalSum) {
        if self.overflow || other.overflow {
            self.overflow = true;
            return;
        }
        if other.scale == 0 && other.positive.0 == [0; 6] && other.negative.0 == [0; 6] {
            // Adding nothing (a count without --sum merges one per key and chunk).
            return;
        }
        let scale = self.scale.max(other.scale);
        let sum = |a: Wide, a_scale: u32, b: Wide, b_scale: u32| {
            a.checked_scale_up(scale - a_scale)?
                .checked_add(b.checked_scale_up(scale - b_scale)?)
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
        use NumberError::*;
        for (input, why) in [
            ("340282366920938463463374607431768211456", TooManyDigits),
            ("1.00000000000000000000000000000000000000001", TooManyDigits),
            ("1e39", TooLarge),
            ("1e400", TooLarge),
            ("1e99999999999999999999", TooLarge),
            ("0.000000000000000000000000000000000000001", TooPrecise),
            ("1e-39", TooPrecise),
            ("1e-400", TooPrecise),
        ] {
            assert_eq!(p(input), Err(why), "{input:?}");
        }
        assert!(!TooPrecise.to_string().contains("bits"));
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
    fn only_a_final_value_out_of_range_is_an_error() {
        let max = u128::MAX.to_string();
        let mut s = sum_of(&[&max]);
        assert!(s.total().is_ok());
        s.add(p("1").unwrap());
        assert_eq!(s.total(), Err(Overflow));
        // Not sticky: the intermediate sum does not fit, the final one does.
        s.add(p(&format!("-{max}")).unwrap());
        assert_eq!(s.total().unwrap().to_string(), "1");
        // x, -x, 5 with x = 2^128 - 1; and 3e38 + 3e38 - 3e38, in every order.
        for values in [
            vec![max.as_str(), &format!("-{max}"), "5"],
            vec!["3e38", "3e38", "-3e38"],
            vec!["-3e38", "3e38", "3e38"],
        ] {
            let want = if values[2] == "5" {
                "5"
            } else {
                "300000000000000000000000000000000000000"
            };
            assert_eq!(sum_of(&values).total().unwrap().to_string(), want);
            let mut rev: Vec<&str> = values.clone();
            rev.reverse();
            assert_eq!(sum_of(&rev).total().unwrap().to_string(), want);
        }
        // A final value with more than 38 significant digits is out of range.
        let s = sum_of(&["1e30", "0.000000001"]);
        assert_eq!(s.total(), Err(Overflow));
        // ... but not once the fraction cancels: 3e38 at scale 1 is 39 digits, 3e38 is 1.
        let s = sum_of(&["3e38", "0.5", "-0.5"]);
        assert_eq!(s.total().unwrap(), p("3e38").unwrap());
        let s = sum_of(&["-3e38", "-3e38"]);
        assert_eq!(s.total(), Err(Overflow));
        let mut a = sum_of(&[&max]);
        a.merge(sum_of(&[&max, &format!("-{max}")]));
        assert_eq!(a.total().unwrap().to_string(), max);
        // A value added after an explicit overflow does not bring it back.
        let mut s = sum_of(&["1"]);
        s.set_overflow();
        s.add(p("-1").unwrap());
        assert_eq!(s.total(), Err(Overflow));
    }

    #[test]
    fn sums_serialize_as_before_when_they_fit_and_read_wide_ones_back() {
        let small = sum_of(&["1.5", "-2"]);
        let json = serde_json::to_string(&small).unwrap();
        assert_eq!(
            json,
            r#"{"positive":15,"negative":20,"scale":1,"overflow":false}"#
        );
        let old: DecimalSum = serde_json::from_str(&json).unwrap();
        assert_eq!(old, small);
        let max = u128::MAX.to_string();
        let wide = sum_of(&[&max, &max, "0.25", "-0.25", &format!("-{max}")]);
        let json = serde_json::to_string(&wide).unwrap();
        assert!(json.contains("\"high\""), "{json}");
        let back: DecimalSum = serde_json::from_str(&json).unwrap();
        assert_eq!(back, wide);
        assert_eq!(back.total().unwrap().to_string(), max);
        let bin = postcard::to_allocvec(&wide).unwrap();
        assert_eq!(postcard::from_bytes::<DecimalSum>(&bin).unwrap(), wide);
        let bad = r#"{"positive":1,"negative":0,"scale":4000000000,"overflow":false}"#;
        assert!(serde_json::from_str::<DecimalSum>(bad).is_err());
    }

    #[test]
    fn sparse_sums_read_write_and_merge_as_the_sums_they_stand_for() {
        let values = ["1.5", "-2", "0", "340282366920938463463374607431768211455"];
        let mut sparse = SparseSum::default();
        // Nothing added: zero, written as the zero sum.
        assert_eq!(sparse.get(), DecimalSum::default());
        assert_eq!(
            serde_json::to_string(&sparse).unwrap(),
            serde_json::to_string(&DecimalSum::default()).unwrap()
        );
        for v in values {
            sparse.add(p(v).unwrap());
        }
        let dense = sum_of(&values);
        assert_eq!(sparse.get(), dense);
        assert_eq!(
            serde_json::to_string(&sparse).unwrap(),
            serde_json::to_string(&dense).unwrap()
        );
        let bin = postcard::to_allocvec(&sparse).unwrap();
        assert_eq!(bin, postcard::to_allocvec(&dense).unwrap());
        assert_eq!(postcard::from_bytes::<SparseSum>(&bin).unwrap(), sparse);
        // A zero sum read back takes no heap and equals the empty one.
        let zero: SparseSum =
            serde_json::from_str(&serde_json::to_string(&DecimalSum::default()).unwrap()).unwrap();
        assert!(zero.0.is_none());
        assert_eq!(zero, SparseSum::default());
        let samples: Vec<SparseSum> = ["", "1", "-1.25", "2.5"]
            .iter()
            .map(|v| {
                let mut s = SparseSum::default();
                if !v.is_empty() {
                    s.add(p(v).unwrap());
                }
                s
            })
            .collect();
        check_laws(&samples, |s: &SparseSum| canon(&s.get()));
        let mut a = samples[1].clone();
        a.merge(samples[2].clone());
        assert_eq!(a.total().unwrap().to_string(), "-0.25");
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
            sum_of(&[&format!("-{max}"), "0.5"]),
            sum_of(&["3e38", "3e38"]),
            sum_of(&["-3e38"]),
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
