//! prost messages generated from proto/ by build.rs.

/// imgwire's own schema (proto/imgwire/v1/imgwire.proto).
pub mod imgwire {
    tonic::include_proto!("imgwire.v1");
}

/// The seed post's schema (proto/seed/v1/seed.proto), spoken as a client.
pub mod seed {
    tonic::include_proto!("ai.statsbomb.com");
}

/// The Open Inference Protocol (KServe v2) that Triton, KServe and MLServer
/// serve (proto/kserve/v2/open_inference_grpc.proto).
pub mod kserve {
    tonic::include_proto!("inference");
}

/// TorchServe's own inference API (proto/torchserve/v1/inference.proto).
pub mod torchserve {
    tonic::include_proto!("org.pytorch.serve.grpc.inference");
}

/// `google.rpc.Status`, which TorchServe's answers carry.
pub mod google_rpc {
    include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
}

/// gRPC method paths of `imgwire.v1.ImageService`.
pub mod paths {
    pub const SERVICE: &str = "imgwire.v1.ImageService";
    pub const BASIC: &str = "/imgwire.v1.ImageService/Basic";
    pub const BASE64: &str = "/imgwire.v1.ImageService/Base64Image";
    pub const BINARY: &str = "/imgwire.v1.ImageService/BinaryImage";
}

impl From<super::ImageFormat> for imgwire::ImageFormat {
    fn from(format: super::ImageFormat) -> Self {
        match format {
            super::ImageFormat::Jpeg => imgwire::ImageFormat::Jpeg,
            super::ImageFormat::Raw => imgwire::ImageFormat::Raw,
        }
    }
}

impl From<super::ImageMeta> for imgwire::ImageInfo {
    fn from(meta: super::ImageMeta) -> Self {
        imgwire::ImageInfo {
            width: meta.width,
            height: meta.height,
            channels: meta.channels,
            format: imgwire::ImageFormat::from(meta.format) as i32,
        }
    }
}

/// Why a protobuf request's `info` does not describe an image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageInfoError {
    #[error("the request has no `info` (width, height, channels, format)")]
    Missing,
    #[error("unknown image format {0} in `info`")]
    UnknownFormat(i32),
}

impl TryFrom<Option<imgwire::ImageInfo>> for super::ImageMeta {
    type Error = ImageInfoError;

    fn try_from(info: Option<imgwire::ImageInfo>) -> Result<Self, Self::Error> {
        let info = info.ok_or(ImageInfoError::Missing)?;
        let format = match imgwire::ImageFormat::try_from(info.format) {
            Ok(imgwire::ImageFormat::Jpeg) => super::ImageFormat::Jpeg,
            Ok(imgwire::ImageFormat::Raw) => super::ImageFormat::Raw,
            _ => return Err(ImageInfoError::UnknownFormat(info.format)),
        };
        Ok(super::ImageMeta {
            width: info.width,
            height: info.height,
            channels: info.channels,
            format,
        })
    }
}
