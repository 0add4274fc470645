//! `ferrograd-bindgen INPUT.wasm OUT_DIR OUT_NAME`: what `wasm-bindgen INPUT --out-dir OUT_DIR
//! --typescript --target web --out-name OUT_NAME` does, with every other option at the CLI's
//! default (the same calls, in the same order, as the CLI's `rmain`).
use std::process::ExitCode;

use wasm_bindgen_cli_support::Bindgen;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, out_name] = args.as_slice() else {
        eprintln!("usage: ferrograd-bindgen INPUT.wasm OUT_DIR OUT_NAME");
        return ExitCode::from(2);
    };
    match generate(input, out_dir, out_name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrograd-bindgen: {e:?}");
            ExitCode::FAILURE
        }
    }
}

fn generate(input: &str, out_dir: &str, out_name: &str) -> anyhow::Result<()> {
    let mut b = Bindgen::new();
    b.web(true)?;
    #[allow(deprecated)]
    b.input_path(input)
        .debug(false)
        .demangle(true)
        .keep_lld_exports(false)
        .keep_debug(false)
        .split_debug_info(false)
        .remove_name_section(false)
        .remove_producers_section(false)
        .typescript(true)
        .omit_imports(false)
        .omit_default_module_path(false)
        .split_linked_modules(false)
        .js_string_builtins(false)
        .ts_typed_array_buffers(false)
        .reference_types(false)
        .reset_state_function(false)
        .force_enable_abort_handler(false)
        .out_name(out_name);
    b.generate(out_dir)
}
