//! `ts/ops.generated.ts` is the op table's opcode list for the TypeScript side; it must match
//! `backend/optable.rs`. `FERROGRAD_BLESS=1 cargo test -p ferrograd-core --test op_table`
//! rewrites it after a table change.

use ferrograd_core::backend::optable::typescript_bindings;

#[test]
fn typescript_opcodes_match_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ts/ops.generated.ts");
    let want = typescript_bindings();
    if std::env::var_os("FERROGRAD_BLESS").is_some() {
        std::fs::write(path, &want).expect("write ts/ops.generated.ts");
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "ts/ops.generated.ts is out of date with backend/optable.rs: run `FERROGRAD_BLESS=1 cargo test -p ferrograd-core --test op_table`"
    );
}
