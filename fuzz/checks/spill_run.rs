//! The reader of spilled runs (`--memory`): any bytes as a run section give rows or a clean
//! error — never a panic, and never an allocation of what a corrupt length claims — and the
//! rows' keys and states fit in the bytes they came from.

use logmill::spill::read_run_section;

/// Panics when the property fails for `input` (a fuzz input, or a replayed regression).
pub fn check(input: &[u8]) {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    let key_bytes: logmill::error::Result<usize> = match which % 3 {
        0 => read_run_section::<u64>(data).map(|rows| rows.iter().map(|r| r.0.len()).sum()),
        1 => read_run_section::<logmill::jobs::matches::Tally>(data)
            .map(|rows| rows.iter().map(|r| r.0.len()).sum()),
        _ => read_run_section::<logmill::jobs::fields::agg::GroupState>(data)
            .map(|rows| rows.iter().map(|r| r.0.len()).sum()),
    };
    if let Ok(n) = key_bytes {
        assert!(n <= data.len(), "{n} key bytes out of {}", data.len());
    }
}
