//! Numeric values of fields and the exact states built from them: sums (exact, through
//! [`crate::num::DecimalSum`]), minima and maxima, and the mean's fixed-point rendering.
//!
//! Most log numbers are small non-negative integers (bytes, status, milliseconds), so a value
//! of at most 19 digits takes a fast path as a `u64`, summed in a `u128`; anything else goes
//! through [`Decimal::parse`]. Both paths accept and reject exactly the same texts and give
//! the same values.

use std::cmp::Ordering;

use crate::aggregate::Merge;
use crate::num::{Decimal, DecimalSum, NumberError};

/// A parsed numeric field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Num {
    /// A plain run of at most 19 ASCII digits.
    Int(u64),
    /// Anything else [`Decimal::parse`] accepts.
    Dec(Decimal),
}

impl Num {
    /// Parses a field's value.
    #[inline]
    pub fn parse(text: &[u8]) -> Result<Num, NumberError> {
        if !text.is_empty() && text.len() <= 19 && text.iter().all(u8::is_ascii_digit) {
            let mut n = 0u64;
            for &d in text {
                n = n * 10 + u64::from(d - b'0');
            }
            return Ok(Num::Int(n));
        }
        Decimal::parse(text).map(Num::Dec)
    }

    /// The value as a [`Decimal`].
    pub fn to_decimal(self) -> Decimal {
        match self {
            Num::Dec(d) => d,
            // An integer's digits always parse.
            Num::Int(n) => {
                Decimal::parse(itoa::Buffer::new().format(n).as_bytes()).unwrap_or_default()
            }
        }
    }

    /// The value as the nearest `f64` (for sketches).
    pub fn to_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Dec(d) => {
                let m = d.magnitude() as f64 / 10f64.powi(d.scale() as i32);
                if d.is_negative() {
                    -m
                } else {
                    m
                }
            }
        }
    }
}

/// Exact order of two decimals.
pub fn cmp_decimal(a: &Decimal, b: &Decimal) -> Ordering {
    match (a.is_negative(), b.is_negative()) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (neg, _) => {
            let m = cmp_magnitude(a, b);
            if neg {
                m.reverse()
            } else {
                m
            }
        }
    }
}

/// Order of `|a|` and `|b|`: align the scales; a product that overflows `u128` is larger than
/// any magnitude.
fn cmp_magnitude(a: &Decimal, b: &Decimal) -> Ordering {
    let up = |m: u128, by: u32| 10u128.checked_pow(by).and_then(|p| m.checked_mul(p));
    let (sa, sb) = (a.scale(), b.scale());
    if sa <= sb {
        match up(a.magnitude(), sb - sa) {
            Some(x) => x.cmp(&b.magnitude()),
            None => Ordering::Greater,
        }
    } else {
        match up(b.magnitude(), sa - sb) {
            Some(y) => a.magnitude().cmp(&y),
            None => Ordering::Less,
        }
    }
}

/// Exact order of two values.
pub fn cmp_num(a: &Num, b: &Num) -> Ordering {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(y),
        _ => cmp_decimal(&a.to_decimal(), &b.to_decimal()),
    }
}

/// An exact sum: integers in a `u128` on the fast path, the rest in a [`DecimalSum`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NumSum {
    ints: u128,
    /// Set by older versions when the integers overflowed `u128` (read for compatibility).
    ints_overflow: bool,
    decimals: DecimalSum,
}

impl NumSum {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, v: Num) {
        match v {
            Num::Int(n) => self.add_ints(u128::from(n)),
            Num::Dec(d) => self.decimals.add(d),
        }
    }

    /// Adds to the integer fast path; what would overflow it moves to the wide decimal sum,
    /// so the total stays exact.
    #[inline]
    fn add_ints(&mut self, n: u128) {
        match self.ints.checked_add(n) {
            Some(s) => self.ints = s,
            None => {
                self.decimals.add_integer(self.ints);
                self.ints = n;
            }
        }
    }

    /// The exact total, or `None` when the final value does not fit in a [`Decimal`]
    /// (intermediate sums never matter, nor which groupings of the additions were used).
    pub fn total(&self) -> Option<Decimal> {
        // `ints_overflow` is only ever set in partials of older versions.
        if self.ints_overflow {
            return None;
        }
        let mut all = self.decimals;
        all.add_integer(self.ints);
        all.total().ok()
    }
}

impl Merge for NumSum {
    fn merge(&mut self, other: Self) {
        self.add_ints(other.ints);
        self.ints_overflow |= other.ints_overflow;
        self.decimals.merge(other.decimals);
    }
}

/// The smallest or largest value seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extreme<const MAX: bool> {
    best: Option<Num>,
}

impl<const MAX: bool> Extreme<MAX> {
    /// Offers one value.
    #[inline]
    pub fn add(&mut self, v: Num) {
        let better = match &self.best {
            None => true,
            Some(b) => {
                let o = cmp_num(&v, b);
                if MAX {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            }
        };
        if better {
            self.best = Some(v);
        }
    }

    /// The extreme value, if any value was seen. Equal values (`1.0` and `1`) are the same
    /// normalised decimal, so which one was kept cannot show.
    pub fn get(&self) -> Option<Decimal> {
        self.best.map(Num::to_decimal)
    }
}

impl<const MAX: bool> Merge for Extreme<MAX> {
    fn merge(&mut self, other: Self) {
        if let Some(v) = other.best {
            self.add(v);
        }
    }
}

/// Decimal places of a printed mean.
pub const MEAN_DECIMALS: usize = 6;

/// `total / count` rounded half away from zero to [`MEAN_DECIMALS`] places, exactly (long
/// division of the exact total; no floating point). `count` must not be 0.
pub fn format_mean(total: &Decimal, count: u64) -> String {
    let m = total.magnitude();
    let n = u128::from(count.max(1));
    let q = m / n;
    let mut r = m % n;
    let scale = total.scale() as usize;
    // The digits of m / n: the quotient's, then enough fractional ones to shift the point
    // left by `scale` and still have MEAN_DECIMALS + 1 places (the last one for rounding).
    let mut digits: Vec<u8> = q
        .to_string()
        .into_bytes()
        .iter()
        .map(|d| d - b'0')
        .collect();
    let int_len = digits.len();
    for _ in 0..scale + MEAN_DECIMALS + 1 {
        r *= 10;
        digits.push((r / n) as u8);
        r %= n;
    }
    // The point sits after `int_len - scale` digits; pad with leading zeros when negative.
    let point = if int_len > scale {
        int_len - scale
    } else {
        let pad = scale - int_len + 1;
        digits.splice(0..0, std::iter::repeat_n(0, pad));
        1
    };
    let keep = point + MEAN_DECIMALS;
    let round_up = digits[keep] >= 5;
    digits.truncate(keep);
    if round_up {
        let mut i = keep;
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let point = digits.len() - MEAN_DECIMALS;
    let int_part: Vec<u8> = {
        let lead = digits[..point - 1].iter().take_while(|&&d| d == 0).count();
        digits[lead..point].to_vec()
    };
    let zero = digits.iter().all(|&d| d == 0);
    let mut s = String::new();
    if total.is_negative() && !zero {
        s.push('-');
    }
    s.extend(int_part.iter().map(|d| char::from(b'0' + d)));
    s.push('.');
    s.extend(digits[point..].iter().map(|d| char::from(b'0' + d)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::check_laws;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn fast_and_slow_parses_agree() {
        for s in ["0", "007", "9999999999999999999", "12"] {
            let fast = Num::parse(s.as_bytes()).unwrap();
            assert!(matches!(fast, Num::Int(_)), "{s}");
            assert_eq!(fast.to_decimal(), d(s), "{s}");
        }
        assert_eq!(
            Num::parse(b"18446744073709551615").unwrap(),
            Num::Dec(d("18446744073709551615"))
        );
        assert!(Num::parse(b"-").is_err());
        assert!(Num::parse(b"").is_err());
        assert_eq!(Num::parse(b" 5").unwrap(), Num::Dec(d("5")));
    }

    #[test]
    fn decimals_compare_exactly() {
        let order = [
            "-1e30",
            "-2.5",
            "-2.49999999999999999999",
            "0",
            "1e-38",
            "0.1",
            "1",
            "1.0000001",
            "1e30",
            "340282366920938463463374607431768211455",
        ];
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                assert_eq!(cmp_decimal(&d(a), &d(b)), i.cmp(&j), "{a} {b}");
            }
        }
        assert_eq!(cmp_decimal(&d("1.0"), &d("1")), Ordering::Equal);
    }

    #[test]
    fn means_round_half_away_from_zero() {
        for (total, n, want) in [
            ("10", 4, "2.500000"),
            ("2", 3, "0.666667"),
            ("1", 3, "0.333333"),
            ("-2", 3, "-0.666667"),
            ("0.0000005", 1, "0.000001"),
            ("-0.0000004", 1, "0.000000"),
            ("0.00000049", 1, "0.000000"),
            ("999.9999995", 1, "1000.000000"),
            (
                "123456789012345678901234567890",
                7,
                "17636684144620811271604938270.000000",
            ),
            ("1e-38", 1, "0.000000"),
            ("0", 5, "0.000000"),
        ] {
            assert_eq!(format_mean(&d(total), n), want, "{total}/{n}");
        }
    }

    #[test]
    fn sums_and_extremes_obey_the_laws() {
        let vals = |v: &[&str]| -> Vec<Num> {
            v.iter()
                .map(|s| Num::parse(s.as_bytes()).unwrap())
                .collect()
        };
        let samples: Vec<Vec<Num>> = vec![
            vec![],
            vals(&["1", "2.5"]),
            vals(&["-7", "18446744073709551615"]),
            vals(&["0.001", "3"]),
        ];
        let sums: Vec<NumSum> = samples
            .iter()
            .map(|v| {
                let mut s = NumSum::default();
                v.iter().for_each(|x| s.add(*x));
                s
            })
            .collect();
        check_laws(&sums, |s| s.total().map(|d| d.to_string()));
        let mins: Vec<Extreme<false>> = samples
            .iter()
            .map(|v| {
                let mut s = Extreme::<false>::default();
                v.iter().for_each(|x| s.add(*x));
                s
            })
            .collect();
        check_laws(&mins, |s| s.get().map(|d| d.to_string()));
        let mut all = NumSum::default();
        for s in &sums {
            all.merge(*s);
        }
        assert_eq!(all.total().unwrap().to_string(), "18446744073709551614.501");
    }

    #[test]
    fn integer_overflow_is_reported() {
        let mut s = NumSum::default();
        for _ in 0..20 {
            s.merge(NumSum {
                ints: u128::MAX / 16,
                ..NumSum::default()
            });
        }
        assert_eq!(s.total(), None);
    }
}
