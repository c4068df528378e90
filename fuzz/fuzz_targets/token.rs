//! Fuzz target `token`: see `classroom_tests::fuzz_targets::token` for the input format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| classroom_tests::fuzz_targets::token(data));
