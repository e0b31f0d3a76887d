//! Tests that need PostgreSQL are compiled as ignored, and reported so, unless
//! `DOWNTIME_TEST_POSTGRES_URL` is set when they are built.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=DOWNTIME_TEST_POSTGRES_URL");
    if std::env::var_os("DOWNTIME_TEST_POSTGRES_URL").is_some() {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
