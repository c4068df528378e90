//! Fuzz target `event`: see `classroom_tests::fuzz_targets::event` for the input format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| classroom_tests::fuzz_targets::event(data));
