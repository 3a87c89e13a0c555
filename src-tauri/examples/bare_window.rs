//! A bare Tauri window (an empty page, no commands, no state): the baseline the memory
//! benchmark compares the app against (`docs/benchmarks.md`).
#![forbid(unsafe_code)]

fn main() {
    if let Err(err) =
        tauri::Builder::default().run(tauri::generate_context!("examples/bare/tauri.conf.json"))
    {
        eprintln!("the bare window stopped: {err}");
        std::process::exit(1);
    }
}
