//! Generated code for every civitas API (compiled from `proto/` by `build.rs`) and the
//! conversions between the wire types and the kernel's envelope.

pub mod codes;
pub mod convert;

/// Encoded `FileDescriptorSet` of every civitas proto, for gRPC reflection and for
/// analytics consumers that decode payloads dynamically.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/civitas_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("civitas.common.v1");
    }
}
pub mod events {
    pub mod v1 {
        tonic::include_proto!("civitas.events.v1");
    }
}
pub mod residents {
    pub mod v1 {
        tonic::include_proto!("civitas.residents.v1");
    }
}
pub mod insights {
    pub mod v1 {
        tonic::include_proto!("civitas.insights.v1");
    }
}
pub mod eventlog {
    pub mod v1 {
        tonic::include_proto!("civitas.eventlog.v1");
    }
}
pub mod activities {
    pub mod v1 {
        tonic::include_proto!("civitas.activities.v1");
    }
}
pub mod volunteering {
    pub mod v1 {
        tonic::include_proto!("civitas.volunteering.v1");
    }
}
pub mod safety {
    pub mod v1 {
        tonic::include_proto!("civitas.safety.v1");
    }
}
