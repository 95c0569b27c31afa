//! The exact decimal parser behind `--sum`, `--mean`, `--min` and `--max`: never a panic; a
//! parsed value prints in a canonical form that parses back to itself; exact sums never wrap.

use logmill::num::{Decimal, DecimalSum};

/// Panics when the property fails for `input` (a fuzz input, or a replayed regression).
pub fn check(input: &[u8]) {
    let mut sum = DecimalSum::default();
    let mut reference: Option<i128> = Some(0);
    for field in input.split(|&b| b == b' ') {
        let Ok(d) = Decimal::parse(field) else {
            continue;
        };
        let text = d.to_string();
        assert_eq!(Decimal::parse(text.as_bytes()), Ok(d), "{text}");
        sum.add(d);
        // Integers: the sum must equal i128 arithmetic, or report overflow, never wrap.
        if d.scale() == 0 {
            reference = reference.and_then(|r| {
                let m = i128::try_from(d.magnitude()).ok()?;
                r.checked_add(if d.is_negative() { -m } else { m })
            });
        } else {
            reference = None;
        }
    }
    if let (Some(r), Ok(t)) = (reference, sum.total()) {
        assert_eq!(t.to_string(), r.to_string());
    }
}
