//! Compiles every `.proto` under the repository's `proto/` folder with the vendored
//! `protoc`, so a fresh machine needs no protobuf compiler installed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../proto");
    let root = root.canonicalize()?;
    let protos = [
        "civitas/common/v1/common.proto",
        "civitas/events/v1/events.proto",
        "civitas/events/v1/activities.proto",
        "civitas/events/v1/volunteering.proto",
        "civitas/events/v1/safety.proto",
        "civitas/activities/v1/activities.proto",
        "civitas/volunteering/v1/volunteering.proto",
        "civitas/safety/v1/safety.proto",
        "civitas/residents/v1/residents.proto",
        "civitas/insights/v1/insights.proto",
        "civitas/eventlog/v1/eventlog.proto",
    ]
    .map(|p| root.join(p));
    for p in &protos {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("civitas_descriptor.bin"))
        .compile_protos(&protos, &[root, protoc_bin_vendored::include_path()?])?;
    Ok(())
}
