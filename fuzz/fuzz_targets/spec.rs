//! Fuzz target `spec`: see `classroom_tests::fuzz_targets::spec` for the input format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| classroom_tests::fuzz_targets::spec(data));
