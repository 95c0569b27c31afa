//! Table storage that asks for transparent huge pages.

/// The allocator of table storage: the global one, asking for transparent huge pages on big
/// tables. A table of millions of keys is probed at random places; with 4 KiB pages nearly
/// every probe also misses the TLB, and with 2 MiB pages almost none does. Where THP is
/// `madvise`-only (a common default) the request is what turns them on; elsewhere it is a
/// no-op.
#[derive(Debug, Clone, Copy, Default)]
pub struct HugeAlloc;

/// Allocations from this size on ask for huge pages.
const HUGE_FROM: usize = 8 << 20;

// SAFETY: every method forwards to the global allocator with the same layout, so blocks are
// valid, aligned and freed by the allocator that made them; `madvise(MADV_HUGEPAGE)` only sets
// a paging hint on whole pages inside the block and never changes its contents.
unsafe impl allocator_api2::alloc::Allocator for HugeAlloc {
    fn allocate(
        &self,
        layout: std::alloc::Layout,
    ) -> Result<std::ptr::NonNull<[u8]>, allocator_api2::alloc::AllocError> {
        let block = allocator_api2::alloc::Global.allocate(layout)?;
        if layout.size() >= HUGE_FROM {
            const HUGE: usize = 2 << 20;
            let start = (block.as_ptr() as *mut u8 as usize).next_multiple_of(HUGE);
            let end = (block.as_ptr() as *mut u8 as usize + layout.size()) / HUGE * HUGE;
            if end > start {
                // SAFETY: `start..end` is a whole number of pages inside the block just
                // allocated; the advice fails harmlessly where THP is unavailable.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE)
                };
            }
        }
        Ok(block)
    }

    unsafe fn deallocate(&self, ptr: std::ptr::NonNull<u8>, layout: std::alloc::Layout) {
        // SAFETY: `ptr` was allocated by `allocate` above, i.e. by `Global`, with `layout`.
        unsafe { allocator_api2::alloc::Global.deallocate(ptr, layout) }
    }
}
