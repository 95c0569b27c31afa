//! The partial-state reader used by `merge` and `reduce` (and spill files): any bytes give
//! either a clean error or a table that writes back and reads again to the same table.

use std::path::Path;

use logmill::partial::format::{read_partial, write_partial, EmitMode, Keyed, State};
use logmill::JobParams;

fn round_trip<S: State + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let mut keyed = Keyed::<S>::default();
    let Ok(header) = read_partial(
        Path::new("fuzz"),
        &mut &data[..],
        None::<&JobParams>,
        &mut keyed,
    ) else {
        return;
    };
    let mode = if header.is_some() {
        EmitMode::Partial
    } else {
        EmitMode::Lines
    };
    let Some(params) = header else { return };
    let mut out = Vec::new();
    write_partial(&params, &keyed, None, mode, &mut out).unwrap();
    let mut again = Keyed::<S>::default();
    read_partial(Path::new("again"), &mut &out[..], Some(&params), &mut again)
        .expect("a written partial reads back");
    let mut a: Vec<_> = keyed.table.iter().collect();
    let mut b: Vec<_> = again.table.iter().collect();
    a.sort_by(|x, y| x.0.cmp(y.0));
    b.sort_by(|x, y| x.0.cmp(y.0));
    assert_eq!(a, b);
}

/// Panics when the property fails for `input` (a fuzz input, or a replayed regression).
pub fn check(input: &[u8]) {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    match which % 3 {
        0 => round_trip::<u64>(data),
        1 => round_trip::<logmill::jobs::matches::Tally>(data),
        _ => {
            let mut keyed = Keyed::<logmill::jobs::fields::agg::GroupState>::default();
            let _ = read_partial(
                Path::new("fuzz"),
                &mut &data[..],
                None::<&JobParams>,
                &mut keyed,
            );
        }
    }
}
