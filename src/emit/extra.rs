//! Columns a wrapper job adds after the job's own (`--example`): the job writes its rows as
//! always, and the emitter appends the cells set for the row being written ([`set_cells`]).

use std::cell::RefCell;
use std::io;

use super::{Emitter, Value};

thread_local! {
    static CELLS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Sets the extra cells of the rows written next in this thread: `n` empty cells that `fill`
/// writes (empty cells when it leaves them so). The buffers are kept from row to row, so a
/// row costs no allocation.
pub fn fill_cells(n: usize, fill: impl FnOnce(&mut [Vec<u8>])) {
    CELLS.with(|c| {
        let mut c = c.borrow_mut();
        c.resize_with(n, Vec::new);
        c.iter_mut().for_each(Vec::clear);
        fill(&mut c);
    });
}

/// Clears the extra cells.
pub fn clear_cells() {
    CELLS.with(|c| c.borrow_mut().clear());
}

/// An emitter that appends the columns `names` to every header and the current cells (as
/// text) to every row.
pub struct Extra<'a> {
    /// The format's emitter.
    pub inner: Box<dyn Emitter + 'a>,
    /// The added columns.
    pub names: Vec<String>,
}

impl Emitter for Extra<'_> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        let mut all: Vec<&str> = columns.to_vec();
        all.extend(self.names.iter().map(String::as_str));
        self.inner.header(&all)
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        let names = self.names.len();
        let inner = &mut self.inner;
        CELLS.with(|c| {
            let extra = c.borrow();
            let mut all: Vec<Value<'_>> = cells.to_vec();
            for i in 0..names {
                all.push(Value::Text(extra.get(i).map_or(&b""[..], Vec::as_slice)));
            }
            inner.row(&all)
        })
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}
