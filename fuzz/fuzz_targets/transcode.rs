#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_media::fuzzing::fuzz_transcode(data));
